// The page at "/": tells a person who opens Postern in a browser what to paste into their client.
import { esc, page } from '../pages/html.js';

export function landingPage(mcpUrl: string, backends: Array<{ name: string; state: string; tools: number }>): string {
  const rows = backends
    .map((b) => `<li><code>${esc(b.name)}</code> — ${esc(b.state)}, ${b.tools} tools</li>`)
    .join('');
  return page(
    'Postern',
    `<h1>Postern is running</h1>
<p>Add this URL as a remote MCP server (custom connector) in your client:</p>
<p><code>${esc(mcpUrl)}</code></p>
<p class="muted">Backends:</p>
<ul class="scopes">${rows || '<li>none configured</li>'}</ul>`,
  );
}
