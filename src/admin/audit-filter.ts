// The audit page's search, read from its query string: user, client, tool, outcome, a time range
// (UTC, as a datetime-local field sends it) and the page. Anything malformed is a 400, never a throw.
import type { AuditFilter } from '../store/types.js';
import { AdminError } from './context.js';
import { readPage } from './paging.js';

/** Pages past this are refused (the export covers more). */
const MAX_PAGE = 1000;

export interface AuditSearch {
  filter: AuditFilter;
  page: number;
  /** The fields as given, to fill the form again. */
  fields: Record<'user' | 'client' | 'tool' | 'outcome' | 'from' | 'to', string>;
}

function time(value: string, name: string): number | undefined {
  if (!value) return undefined;
  // "2026-12-02T08:30" (datetime-local), with optional seconds, or a date alone; UTC.
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?))?Z?$/.exec(value);
  const ms = m ? Date.parse(`${m[1]}T${m[2] ?? '00:00'}Z`) : Number.NaN;
  if (!Number.isFinite(ms)) throw new AdminError(400, `${name}: give a time as YYYY-MM-DDTHH:MM (UTC)`);
  return ms;
}

export function readAuditSearch(query: URLSearchParams): AuditSearch {
  const get = (name: string, max: number) => {
    const v = (query.get(name) ?? '').trim();
    if (v.length > max) throw new AdminError(400, `${name} is longer than ${max} characters`);
    return v;
  };
  const fields = {
    user: get('user', 300),
    client: get('client', 2000),
    tool: get('tool', 300),
    outcome: get('outcome', 10),
    from: get('from', 30),
    to: get('to', 30),
  };
  if (fields.outcome && fields.outcome !== 'ok' && fields.outcome !== 'error') throw new AdminError(400, 'outcome: ok, error or empty');
  const page = readPage(query, MAX_PAGE);
  const sinceMs = time(fields.from, 'from');
  const untilMs = time(fields.to, 'to');
  return {
    page,
    fields,
    filter: {
      subject: fields.user || undefined,
      client: fields.client || undefined,
      action: fields.tool || undefined,
      outcome: (fields.outcome || undefined) as AuditFilter['outcome'],
      sinceMs,
      untilMs,
    },
  };
}

/** The query string of a search, for links to other pages and to the export. */
export function searchQuery(fields: AuditSearch['fields'], extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...fields, ...extra })) if (v) q.set(k, v);
  return q.toString();
}
