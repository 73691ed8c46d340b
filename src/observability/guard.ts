// Token verifications at /mcp, counted (hit, miss, refused) and traced (a span per check). The
// guard is wrapped where it is built (postern.ts), so the guard and its verifiers stay unaware.
// A hit is told from a miss by the caller object: every verifier hands out the object it cached
// for a token again, while a full verification makes a new one.
import type { Guard } from '../guard/guard.js';
import type { Caller } from '../guard/types.js';
import type { Metrics, VerificationResult } from '../telemetry/metrics.js';
import { tracer } from '../telemetry/tracing.js';

export function instrumentGuard(guard: Guard, metrics: Metrics | undefined): void {
  const check = guard.check.bind(guard);
  const seen = new WeakSet<Caller>();
  guard.check = async (authorization) => {
    // No token at all is no verification: the client is only being told where to get one.
    if (!authorization) return check(authorization);
    const span = tracer?.startSpan('postern.guard');
    try {
      const result = await check(authorization);
      let outcome: VerificationResult = 'refused';
      if (result.ok) {
        outcome = seen.has(result.caller) ? 'hit' : 'miss';
        if (outcome === 'miss') seen.add(result.caller);
      }
      metrics?.verified(outcome);
      span?.setAttribute('postern.guard.result', outcome);
      if (result.ok) span?.setAttribute('postern.guard.verifier', result.caller.via);
      return result;
    } finally {
      span?.end();
    }
  };
}
