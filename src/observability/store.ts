// Store latency: every operation of the store (each method of the Store interfaces that answers
// with a promise) is timed and recorded under its name. Wrapped where the store is opened (postern.ts), so the
// stores themselves stay unaware; only done while metrics are on.
import type { Store } from '../store/types.js';
import type { Metrics } from '../telemetry/metrics.js';

/** The methods along the store's prototype chain (a driver may delegate to its areas without `async`). */
function methods(store: object): string[] {
  const names = new Set<string>();
  for (let proto = Object.getPrototypeOf(store); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const value = Object.getOwnPropertyDescriptor(proto, name)?.value;
      if (name !== 'constructor' && typeof value === 'function') names.add(name);
    }
  }
  return [...names];
}

/** Times every method that answers with a promise (the store's operations); the others run as they are. */
export function instrumentStore(store: Store, metrics: Metrics): void {
  const target = store as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of methods(store)) {
    const original = target[name];
    target[name] = function timed(this: unknown, ...args: unknown[]) {
      const started = performance.now();
      const result = original.apply(store, args);
      if (result instanceof Promise) {
        const done = () => metrics.storeOperation(name, (performance.now() - started) / 1000);
        result.then(done, done);
      }
      return result;
    };
  }
}
