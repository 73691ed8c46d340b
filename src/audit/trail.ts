// The audit trail: one structured line per MCP call, per OAuth event and per admin change, kept in the store
// (queryable with `postern audit`) and written to the JSON log. Call arguments are never
// recorded. Writing is fire-and-forget: an audit failure is logged, never fails the request.
import type { Logger } from 'pino';
import type { AuditEntry, AuditStore } from '../store/types.js';

export class Audit {
  constructor(
    private readonly store: AuditStore,
    private readonly log: Logger,
  ) {}

  record(entry: Omit<AuditEntry, 'time'>): void {
    const line: AuditEntry = { time: Date.now(), ...entry };
    this.log.info({ audit: line }, 'audit');
    void this.store.addAudit(line).catch((err) => this.log.error({ err }, 'audit write failed'));
  }

  /** Records an OAuth event (login, consent, token, revoke, …): allowed and ok, or denied and failed. */
  oauth(action: string, ok: boolean, fields: { subject?: string; client?: unknown; detail?: string } = {}): void {
    this.record({
      kind: 'oauth',
      action,
      subject: fields.subject,
      client: typeof fields.client === 'string' ? fields.client : undefined,
      decision: ok ? 'allow' : 'deny',
      outcome: ok ? 'ok' : 'error',
      detail: fields.detail,
    });
  }

  /** Records an admin's change (the admin console): who made it, what, and to what. */
  admin(action: string, actor: string, detail: string): void {
    this.record({ kind: 'admin', action, subject: actor, decision: 'allow', outcome: 'ok', detail: detail.slice(0, 500) });
  }

  /** Times `run`, records its outcome, and passes its result or error through. */
  async timed<T>(entry: Omit<AuditEntry, 'time' | 'outcome' | 'latencyMs' | 'decision'>, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await run();
      const isError = (result as { isError?: boolean } | undefined)?.isError === true;
      this.record({ ...entry, decision: 'allow', outcome: isError ? 'error' : 'ok', latencyMs: Math.round(performance.now() - started) });
      return result;
    } catch (err) {
      this.record({
        ...entry,
        decision: 'allow',
        outcome: 'error',
        latencyMs: Math.round(performance.now() - started),
        detail: (err as Error).message?.slice(0, 300),
      });
      throw err;
    }
  }
}
