// Paging for the console's long lists (users, clients, the audit trail): the page number read from
// the query string (a 400 when malformed) and the links to the pages before and after.
import { esc } from '../pages/html.js';
import { AdminError } from './context.js';

/** Rows a page shows. */
export const PAGE_SIZE = 50;

/** The `page` parameter: 1 when absent, a 400 unless a whole number from 1 to `max`. */
export function readPage(query: URLSearchParams, max: number): number {
  const text = (query.get('page') ?? '').trim() || '1';
  const page = text.length <= 10 && /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(page >= 1 && page <= max)) throw new AdminError(400, `page: a number from 1 to ${max}`);
  return page;
}

/** How many rows the pages before `page` hold (the store's offset). */
export const offsetOf = (page: number): number => (page - 1) * PAGE_SIZE;

/**
 * Links to the previous and next page of `/admin/<path>`, keeping the other query parameters.
 * `hasNext`: the store gave more than a page (read PAGE_SIZE + 1 rows to know).
 */
export function pager(
  path: string,
  page: number,
  hasNext: boolean,
  params: Record<string, string> = {},
  labels: [string, string] = ['← Previous', 'Next →'],
): string {
  const href = (n: number) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...params, page: String(n) })) if (v) q.set(k, v);
    return `/admin/${path}?${esc(q.toString())}`;
  };
  const prev = page > 1 ? `<a href="${href(page - 1)}">${esc(labels[0])}</a>` : '';
  const next = hasNext ? `<a href="${href(page + 1)}">${esc(labels[1])}</a>` : '';
  return `<nav class="pager" aria-label="Pages">${prev}${next}</nav>`;
}
