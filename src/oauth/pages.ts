// The server-rendered pages of the authorization flow: sign-in, consent, and the errors of an
// authorization request (the plain error page is pages/html.ts's).
import { errorPage, esc, page } from '../pages/html.js';
import { clientTitle, type ClientView } from './client-view.js';
import { documentHost } from './client-id-documents.js';

const SCOPE_TEXT: Record<string, string> = {
  'mcp:tools': 'List and call the tools of your MCP servers',
  'mcp:resources': 'Read the resources of your MCP servers',
  'mcp:prompts': 'Use the prompts of your MCP servers',
  openid: 'Know who you are (your account id)',
  profile: 'See your name',
  email: 'See your email address',
  offline_access: 'Stay connected when you are away (refresh tokens)',
};

/** The client box of the consent page. */
function clientBox(c: ClientView): string {
  if (!c.documentHost) {
    return `<div class="client">
<strong>${esc(c.name)}</strong>
<span class="muted">will be sent back to <code>${esc(c.redirectHost)}</code></span>
</div>`;
  }
  const warning = c.loopbackWarning
    ? `<p class="error" role="alert">This app is published by <strong>${esc(c.documentHost)}</strong> but sends you back to a program on this computer (<code>${esc(c.redirectHost)}</code>). Anyone can publish such a description. Allow only if you started this sign-in yourself, from a program on this computer that you trust.</p>`
    : '';
  return `<div class="client">
<strong class="host">${esc(c.documentHost)}</strong>
<span class="muted">calls itself “${esc(c.name)}” and will be sent back to <code>${esc(c.redirectHost)}</code></span>
</div>
${warning}`;
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
<p class="muted"><strong>${esc(clientTitle(v.client))}</strong> wants to use your MCP tools through this gateway.</p>
${v.accepts && v.accepts.length > 1 ? `<p class="muted">Sign in with: ${v.accepts.map(esc).join(' · ')}</p>` : ''}
${v.error ? `<p class="error" role="alert">${esc(v.error)}</p>` : ''}
${buttons}
${
  v.passwordForm === false
    ? ''
    : `${buttons ? '<p class="muted">or with a password:</p>' : ''}
<form method="post" action="${esc(v.action)}" autocomplete="on">
<input type="hidden" name="csrf" value="${esc(v.csrf)}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required autofocus value="${esc(v.username ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<div class="actions"><button type="submit">Sign in</button></div>
</form>`
}
<footer>Signing in to ${esc(clientTitle(v.client))} · redirects to <code>${esc(v.client.redirectHost)}</code></footer>`,
  );
}

export function consentPage(v: { action: string; abortAction: string; csrf: string; client: ClientView; user: string; scopes: string[]; resource?: string }) {
  const items = v.scopes.map((s) => `<li>${esc(SCOPE_TEXT[s] ?? s)} <code>${esc(s)}</code></li>`).join('\n');
  return page(
    'Allow access',
    `<h1>Allow access?</h1>
<p class="muted">Signed in as <strong>${esc(v.user)}</strong></p>
${clientBox(v.client)}
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

/**
 * The page for an authorization request that cannot go on (oidc-provider's renderError). An
 * unknown client gets its own explanation: the browser is never sent to a redirect URI that no
 * known client registered.
 */
export function authorizationErrorPage(out: { error?: unknown; error_description?: unknown }, clientId: unknown): string {
  const description = String(out.error_description ?? out.error);
  if (out.error !== 'invalid_client') return errorPage('Sign-in failed', description, String(out.error));
  const host = documentHost(clientId);
  if (host) {
    return errorPage(
      'Unknown app',
      `The description of this app at ${host} could not be used (${description}).`,
      'The app identifies itself by a document on its own web site; this server could not fetch it, does not accept that host, or found it invalid (invalid_client).',
    );
  }
  return errorPage(
    'Unknown app',
    'This app is not known to this server: it was never registered here, or its registration has expired or been removed.',
    'Most apps register again by themselves when you connect them anew. An app set up by hand needs its client ID from the operator of this server (invalid_client).',
  );
}
