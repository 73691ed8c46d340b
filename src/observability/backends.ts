// Backend restarts, told from the registry's change signal (fired when a backend becomes ready
// and when a ready one goes down): a backend that becomes ready again after it was ready once
// has restarted. Up/down itself is read at scrape time (metrics.ts).
import type { BackendRegistry } from '../backends/registry.js';
import type { Metrics } from '../telemetry/metrics.js';

export function countRestarts(registry: BackendRegistry, metrics: Metrics): () => void {
  const wasReady = new Set<string>();
  const lastState = new Map<string, string>();
  for (const backend of registry.backends.values()) {
    lastState.set(backend.name, backend.state);
    if (backend.state === 'ready') wasReady.add(backend.name);
  }
  return registry.onChange(() => {
    for (const backend of registry.backends.values()) {
      const before = lastState.get(backend.name);
      lastState.set(backend.name, backend.state);
      if (backend.state !== 'ready' || before === 'ready') continue;
      if (wasReady.has(backend.name)) metrics.backendRestarted(backend.name);
      wasReady.add(backend.name);
    }
  });
}
