// Audit: search the audit trail by user, client, tool, outcome and time range, fifty lines a page,
// and export a search as JSON lines or CSV (at most EXPORT_LIMIT lines, newest first).
import { esc } from '../pages/html.js';
import type { AuditEntry } from '../store/types.js';
import { clientCell, clientNames } from './client-names.js';
import { readAuditSearch, searchQuery } from './audit-filter.js';
import { AdminError, type AdminDeps, type AdminPage, type Download } from './context.js';
import { offsetOf, PAGE_SIZE, pager } from './paging.js';
import { ident, table, when } from './layout.js';

const PATH = 'audit';
export const EXPORT_LIMIT = 10_000;
const COLUMNS = ['time', 'kind', 'action', 'subject', 'client', 'decision', 'outcome', 'latencyMs', 'detail'] as const;

/**
 * A CSV cell, never read as a formula by a spreadsheet, whichever separator it splits on (comma;
 * semicolon or tab in many locales, where quotes count only at the start of a cell): the cell,
 * and every part of it after a separator or line break, gets a leading `'` when it starts like a
 * formula; a cell holding a quote, a separator or a line break is quoted.
 */
function csvCell(value: unknown): string {
  let text = value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  text = text.replace(/([,;\t\r\n])(?=[=+\-@])/g, "$1'");
  return /[",;\t\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(entries: AuditEntry[]): string {
  const lines = entries.map((e) => COLUMNS.map((c) => csvCell(c === 'time' ? new Date(e.time).toISOString() : e[c])).join(','));
  return `${[COLUMNS.join(','), ...lines].join('\r\n')}\r\n`;
}

async function view(deps: AdminDeps, req: { query: URLSearchParams }): Promise<string> {
  const search = readAuditSearch(req.query);
  const { fields, page } = search;
  // One line more than a page tells whether there is a next page.
  const found = await deps.store.queryAudit({ ...search.filter, limit: PAGE_SIZE + 1, offset: offsetOf(page) });
  const shown = found.slice(0, PAGE_SIZE);
  const names = await clientNames(
    deps.store,
    shown.flatMap((e) => (e.client ? [e.client] : [])),
  );
  const rows = shown.map((e) => [
    when(e.time),
    esc(e.kind),
    ident(e.action),
    e.subject ? ident(e.subject) : '—',
    e.client ? clientCell(e.client, names) : '—',
    `<span class="${e.outcome === 'ok' && e.decision === 'allow' ? 'allow' : 'deny'}">${esc(e.decision)} / ${esc(e.outcome)}</span>`,
    e.latencyMs === undefined ? '—' : `${e.latencyMs} ms`,
    esc(e.detail ?? ''),
  ]);
  const input = (name: keyof typeof fields, label: string, type = 'text') =>
    `<div><label for="a-${name}">${label}</label><input id="a-${name}" name="${name}" type="${type}" value="${esc(fields[name])}"></div>`;
  const outcome = ['', 'ok', 'error'].map((o) => `<option value="${o}"${fields.outcome === o ? ' selected' : ''}>${o || 'any'}</option>`).join('');
  return `<form method="get" action="/admin/${PATH}" class="row">
${input('user', 'User')}${input('client', 'Client')}${input('tool', 'Tool or event')}
<div><label for="a-outcome">Outcome</label><select id="a-outcome" name="outcome">${outcome}</select></div>
${input('from', 'From (UTC)', 'datetime-local')}${input('to', 'To (UTC)', 'datetime-local')}
<button type="submit">Search</button></form>
<p class="muted">Page ${page}. Export this search (newest ${EXPORT_LIMIT} lines):
<a href="/admin/${PATH}/export?${esc(searchQuery(fields, { format: 'jsonl' }))}">JSON lines</a> ·
<a href="/admin/${PATH}/export?${esc(searchQuery(fields, { format: 'csv' }))}">CSV</a></p>
${table(['Time (UTC)', 'Kind', 'Tool or event', 'User', 'Client', 'Decision / outcome', 'Latency', 'Detail'], rows, 'No audit lines match.')}
${pager(PATH, page, found.length > PAGE_SIZE, fields, ['← Newer', 'Older →'])}`;
}

async function download(deps: AdminDeps, query: URLSearchParams): Promise<Download> {
  const { filter } = readAuditSearch(query);
  const format = query.get('format') ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'csv') throw new AdminError(400, 'format: jsonl or csv');
  const entries = await deps.store.queryAudit({ ...filter, limit: EXPORT_LIMIT });
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
  return format === 'csv'
    ? { type: 'text/csv; charset=utf-8', filename: `postern-audit-${stamp}.csv`, body: toCsv(entries) }
    : {
        type: 'application/x-ndjson',
        filename: `postern-audit-${stamp}.jsonl`,
        body: entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length ? '\n' : ''),
      };
}

export const auditPage: AdminPage = { path: PATH, title: 'Audit', view, download };
