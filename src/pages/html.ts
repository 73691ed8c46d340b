// Tiny HTML helpers: escaping, the page frame shared by every server-rendered page, and the
// plain error page.
import { readFileSync } from 'node:fs';

export const stylesheet = readFileSync(new URL('./assets/postern.css', import.meta.url), 'utf8');

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (value: unknown): string => String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);

const logo = `<svg viewBox="0 0 32 32" aria-hidden="true"><rect x="3" y="3" width="26" height="26" rx="7" fill="currentColor" opacity=".12"/><path d="M10 25V11a6 6 0 0 1 12 0v14" fill="none" stroke="currentColor" stroke-width="2.6" stroke-linecap="round"/><circle cx="16" cy="18" r="2.4" fill="currentColor"/></svg>`;

/** A whole page; `bodyClass` "admin" gives the wide admin console layout. */
export function page(title: string, body: string, head = '', bodyClass = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${esc(title)} · Postern</title>
<link rel="stylesheet" href="/assets/postern.css">
${head}
</head>
<body${bodyClass ? ` class="${esc(bodyClass)}"` : ''}>
<main>
<div class="brand">${logo}<span>Postern</span></div>
${body}
</main>
</body>
</html>`;
}

/** A page that says what went wrong, and by default that the user starts again from their app. */
export function errorPage(title: string, message: string, detail?: string, next = 'Close this window and start again from your app.') {
  return page(
    title,
    `<h1>${esc(title)}</h1>
<p class="error" role="alert">${esc(message)}</p>
${detail ? `<p class="muted">${esc(detail)}</p>` : ''}
<p class="muted">${esc(next)}</p>`,
  );
}
