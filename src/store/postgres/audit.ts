// PostgreSQL area: the audit trail, written in batches (one multi-row INSERT every AUDIT_FLUSH_MS)
// so that an MCP call does not wait for a round trip to the database.
import type { AuditEntry, AuditFilter, AuditStore } from '../types.js';
import type { PostgresDatabase } from './database.js';

const AUDIT_FLUSH_MS = 50;
/** A batch is written at once when it reaches this many lines (PostgreSQL takes 65,535 parameters at most). */
const AUDIT_BATCH = 1000;
const COLUMNS = ['time', 'kind', 'action', 'subject', 'client', 'decision', 'outcome', 'latency_ms', 'detail', 'arguments'];

export class PostgresAudit implements AuditStore {
  private queue: AuditEntry[] = [];
  private timer?: NodeJS.Timeout;
  /** The batch being written, which a query or close waits for. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: PostgresDatabase,
    /** Hears a batch that could not be written (the lines are lost; the calls they record were answered). */
    private readonly onError: (err: unknown) => void,
  ) {}

  async addAudit(e: AuditEntry): Promise<void> {
    this.queue.push(e);
    if (this.queue.length >= AUDIT_BATCH) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), AUDIT_FLUSH_MS);
      this.timer.unref();
    }
  }

  /** Writes the queued lines now (before a query, and on close). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return this.writing;
    const values = batch.flatMap((e) => [
      e.time,
      e.kind,
      e.action,
      e.subject ?? null,
      e.client ?? null,
      e.decision,
      e.outcome,
      e.latencyMs ?? null,
      e.detail ?? null,
      e.arguments ?? null,
    ]);
    const rows = batch.map((_, r) => `(${COLUMNS.map((_, c) => `$${r * COLUMNS.length + c + 1}`).join(', ')})`);
    this.writing = this.writing.then(() =>
      this.db.query(`INSERT INTO audit (${COLUMNS.join(', ')}) VALUES ${rows.join(', ')}`, values).then(() => undefined, this.onError),
    );
    return this.writing;
  }

  async queryAudit(f: AuditFilter): Promise<AuditEntry[]> {
    await this.flush();
    const { rows } = await this.db.query<Record<string, unknown>>(
      `SELECT time, kind, action, subject, client, decision, outcome, latency_ms AS "latencyMs", detail, arguments FROM audit
       WHERE ($1::text IS NULL OR subject = $1) AND ($2::text IS NULL OR client = $2)
         AND ($3::text IS NULL OR action = $3) AND ($4::text IS NULL OR outcome = $4)
         AND time >= $5 AND ($6::bigint IS NULL OR time < $6)
       ORDER BY time DESC, id DESC LIMIT $7 OFFSET $8`,
      [f.subject ?? null, f.client ?? null, f.action ?? null, f.outcome ?? null, f.sinceMs ?? 0, f.untilMs ?? null, f.limit ?? 1000, f.offset ?? 0],
    );
    return rows.map((r) => ({ ...Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)), time: Number(r.time) }) as AuditEntry);
  }
}
