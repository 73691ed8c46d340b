// `postern audit [--user U] [--since 1h]`: the audit trail, newest first, one line per entry.
import type { Config } from '../config/schema.js';
import { IdentityError } from '../identity/types.js';
import { openStore } from '../store/index.js';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function parseSince(since: string | undefined): number {
  if (!since) return 0;
  const m = /^(\d+)([smhd])$/.exec(since);
  if (!m) throw new IdentityError(`--since "${since}": use a number and a unit, e.g. 30m, 1h or 7d`);
  return Date.now() - Number(m[1]) * UNITS[m[2]];
}

export async function runAudit(config: Config, opts: { user?: string; since?: string; limit?: string }): Promise<number> {
  const sinceMs = parseSince(opts.since);
  const limit = opts.limit ? Number(opts.limit) : 200;
  if (!Number.isInteger(limit) || limit < 1) throw new IdentityError(`--limit "${opts.limit}": use a whole number ≥ 1`);
  const store = await openStore(config);
  try {
    for (const e of await store.queryAudit({ subject: opts.user, sinceMs, limit })) {
      const fields = [
        new Date(e.time).toISOString(),
        e.kind,
        e.action,
        e.subject ?? '-',
        e.client ?? '-',
        e.decision,
        e.outcome,
        e.latencyMs !== undefined ? `${e.latencyMs}ms` : '-',
        e.detail ?? '',
        ...(e.arguments ? [`args=${e.arguments}`] : []),
      ];
      process.stdout.write(`${fields.join('\t')}\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}
