// The page at "/": tells a person who opens Postern in a browser what to paste into their client.
// Backend names and states are shown only when the operator makes them public (server.publicStatus).
import { esc, page } from '../pages/html.js';

export function landingPage(mcpUrl: string, backends?: Array<{ name: string; state: string; tools: number }>): string {
  const rows = (backends ?? []).map((b) => `<li><code>${esc(b.name)}</code> — ${esc(b.state)}, ${b.tools} tools</li>`).join('');
  const status = backends
    ? `<p class="muted">Backends:</p>
<ul class="scopes">${rows || '<li>none configured</li>'}</ul>`
    : '';
  return page(
    'Postern',
    `<h1>Postern is running</h1>
<p>Add this URL as a remote MCP server (custom connector) in your client:</p>
<p><code>${esc(mcpUrl)}</code></p>
${status}`,
  );
}
