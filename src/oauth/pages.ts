// The server-rendered pages of the authorization flow: sign-in, consent and errors.
import { esc, page } from '../pages/html.js';

const SCOPE_TEXT: Record<string, string> = {
  'mcp:tools': 'List and call the tools of your MCP servers',
  'mcp:resources': 'Read the resources of your MCP servers',
  'mcp:prompts': 'Use the prompts of your MCP servers',
  openid: 'Know who you are (your account id)',
  profile: 'See your name',
  email: 'See your email address',
  offline_access: 'Stay connected when you are away (refresh tokens)',
};

export interface ClientView {
  name: string;
  clientId: string;
  redirectHost: string;
}

export function loginPage(v: {
  action: string;
  csrf: string;
  client: ClientView;
  error?: string;
  username?: string;
  accepts?: string[];
  /** The identity sources' sign-in buttons (HTML forms), in the order of the sources. */
  buttons?: string[];
  /** false: no password form at all (only other ways in). */
  passwordForm?: boolean;
}) {
  const buttons = (v.buttons ?? []).join('\n');
  return page(
    'Sign in',
    `<h1>Sign in</h1>
<p class="muted"><strong>${esc(v.client.name)}</strong> wants to use your MCP tools through this gateway.</p>
${v.accepts && v.accepts.length > 1 ? `<p class="muted">Sign in with: ${v.accepts.map(esc).join(' · ')}</p>` : ''}
${v.error ? `<p class="error" role="alert">${esc(v.error)}</p>` : ''}
${buttons}
${v.passwordForm === false ? '' : `${buttons ? '<p class="muted">or with a password:</p>' : ''}
<form method="post" action="${esc(v.action)}" autocomplete="on">
<input type="hidden" name="csrf" value="${esc(v.csrf)}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required autofocus value="${esc(v.username ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<div class="actions"><button type="submit">Sign in</button></div>
</form>`}
<footer>Signing in to ${esc(v.client.name)} · redirects to <code>${esc(v.client.redirectHost)}</code></footer>`,
  );
}

export function consentPage(v: {
  action: string;
  abortAction: string;
  csrf: string;
  client: ClientView;
  user: string;
  scopes: string[];
  resource?: string;
}) {
  const items = v.scopes.map((s) => `<li>${esc(SCOPE_TEXT[s] ?? s)} <code>${esc(s)}</code></li>`).join('\n');
  return page(
    'Allow access',
    `<h1>Allow access?</h1>
<p class="muted">Signed in as <strong>${esc(v.user)}</strong></p>
<div class="client">
<strong>${esc(v.client.name)}</strong>
<span class="muted">will be sent back to <code>${esc(v.client.redirectHost)}</code></span>
</div>
<p>It asks to:</p>
<ul class="scopes">${items || '<li>Use this gateway on your behalf</li>'}</ul>
${v.resource ? `<p class="muted">Resource: <code>${esc(v.resource)}</code></p>` : ''}
<div class="actions">
<form method="post" action="${esc(v.abortAction)}"><input type="hidden" name="csrf" value="${esc(v.csrf)}"><button class="secondary" type="submit">Deny</button></form>
<form method="post" action="${esc(v.action)}"><input type="hidden" name="csrf" value="${esc(v.csrf)}"><button type="submit">Allow</button></form>
</div>
<footer>Client id <code>${esc(v.client.clientId)}</code></footer>`,
  );
}

export function errorPage(title: string, message: string, detail?: string) {
  return page(
    title,
    `<h1>${esc(title)}</h1>
<p class="error" role="alert">${esc(message)}</p>
${detail ? `<p class="muted">${esc(detail)}</p>` : ''}
<p class="muted">Close this window and start again from your app.</p>`,
  );
}
