// Store latency: every asynchronous method of the store (the Store interface's operations) is
// timed and recorded under its name. Wrapped where the store is opened (postern.ts), so the
// stores themselves stay unaware; only done while metrics are on.
import type { Store } from '../store/types.js';
import type { Metrics } from '../telemetry/metrics.js';

const AsyncFunction = (async () => {}).constructor;

/** The async methods along the store's prototype chain. */
function operations(store: object): string[] {
  const names = new Set<string>();
  for (let proto = Object.getPrototypeOf(store); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (typeof proto[name] === 'function' && proto[name] instanceof AsyncFunction) names.add(name);
    }
  }
  return [...names];
}

export function instrumentStore(store: Store, metrics: Metrics): void {
  const target = store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of operations(store)) {
    const original = target[name];
    target[name] = function timed(this: unknown, ...args: unknown[]) {
      const started = performance.now();
      const done = () => metrics.storeOperation(name, (performance.now() - started) / 1000);
      const result = original.apply(store, args);
      result.then(done, done);
      return result;
    };
  }
}
