// The admin console's shared page frame (navigation, notices) and the small HTML pieces every
// page uses: forms that post an action with the CSRF token, tables, times.
import { esc, page } from '../pages/html.js';
import type { Notice } from './context.js';

/** The navigation, in order: [path, label]. */
export const NAV: Array<[string, string]> = [
  ['users', 'Users'],
  ['clients', 'Clients'],
  ['grants', 'Grants'],
  ['backends', 'Backends'],
  ['audit', 'Audit'],
  ['tokens', 'Static tokens'],
  ['keys', 'Keys'],
  ['config', 'Configuration'],
];

export function adminPage(v: { current: string; title: string; admin: string; body: string; notice?: Notice }): string {
  const nav = NAV.map(([path, label]) => `<a href="/admin/${path}"${path === v.current ? ' aria-current="page"' : ''}>${esc(label)}</a>`).join('\n');
  return page(
    `${v.title} · Admin`,
    `<nav class="admin-nav" aria-label="Admin">${nav}<span class="muted signed-in">Signed in as <strong>${esc(v.admin)}</strong></span></nav>
<h1>${esc(v.title)}</h1>
${v.notice ? notice(v.notice) : ''}
${v.body}`,
    '',
    'admin',
  );
}

function notice(n: Notice): string {
  const secret = n.secret ? `<p>${esc(n.secret.label)} (shown only this once):</p><p><code class="secret">${esc(n.secret.value)}</code></p>` : '';
  return `<div class="${n.error ? 'error' : 'notice'}" role="${n.error ? 'alert' : 'status'}"><p>${esc(n.text)}</p>${secret}</div>`;
}

/** A one-button form posting `/admin/<page>/<action>` with hidden fields and the CSRF token. */
export function actionButton(
  path: string,
  action: string,
  csrf: string,
  fields: Record<string, string>,
  label: string,
  style: 'primary' | 'secondary' | 'danger' = 'secondary',
): string {
  return `<form method="post" action="/admin/${path}/${action}" class="inline">${hiddenFields(csrf, fields)}<button type="submit" class="${style}">${esc(label)}</button></form>`;
}

export function hiddenFields(csrf: string, fields: Record<string, string> = {}): string {
  return [['csrf', csrf], ...Object.entries(fields)].map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join('');
}

/** A table; cells are HTML already (escape what goes in). */
export function table(headers: string[], rows: string[][], empty = 'None.'): string {
  if (rows.length === 0) return `<p class="muted">${esc(empty)}</p>`;
  return `<div class="table-wrap"><table>
<thead><tr>${headers.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead>
<tbody>
${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n')}
</tbody></table></div>`;
}

/** Epoch milliseconds (or seconds, `unit: 's'`) as a UTC time, minutes precision, on one line. */
export function when(time: number | undefined, unit: 'ms' | 's' = 'ms'): string {
  if (time === undefined || !Number.isFinite(time)) return '—';
  return `<span class="nowrap">${new Date(unit === 's' ? time * 1000 : time).toISOString().slice(0, 16).replace('T', ' ')}</span>`;
}

/** An identifier in a table cell; `long` ones (client ids, URLs) may break anywhere. */
export function ident(value: unknown, long = false): string {
  return `<code${long ? ' class="long"' : ''}>${esc(value)}</code>`;
}

/** A list of names as small tags, or a dash. */
export function tags(names: string[]): string {
  return names.length ? names.map((n) => `<span class="tag">${esc(n)}</span>`).join(' ') : '<span class="muted">—</span>';
}
