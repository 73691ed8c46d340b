// The account page's "Connected servers": per `auth: oauth` backend, whether the signed-in user
// has linked it, with "Connect <backend>" (a link carrying the page's CSRF token, so that no form
// post is redirected to another origin), the callback the backend's authorization server sends
// the browser back to (only with the same user's account-page session: the flow's state is
// stored for that user), and "Disconnect" (a CSRF-checked post: the link is deleted and its
// tokens revoked at the authorization server). Also serves Postern's client ID metadata document.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { IssuerMismatchError } from '@modelcontextprotocol/client';
import type { Logger } from 'pino';
import type { Audit } from '../audit/trail.js';
import { CLIENT_DOCUMENT_PATH } from '../identity/remote-oauth/client-identity.js';
import type { RemoteAccounts } from '../identity/remote-oauth/accounts.js';
import { LinkFlowError, type RemoteOAuthClient } from '../identity/remote-oauth/remote-client.js';
import { pageHeaders } from '../pages/headers.js';
import { errorPage, esc } from '../pages/html.js';
import type { Csrf } from './csrf.js';
import { checkedForm } from './forms.js';

const ROUTE = /^\/account\/remote\/([^/]+)\/(connect|callback|disconnect)$/;
const STATUS = { linked: 'Connected', stale: 'Needs connecting again', none: 'Not connected' } as const;

export interface RemoteAccountSection {
  /** The section of the account page for `accountId`; `query` is the page's own (?connect=…&scope=…). */
  html(accountId: string, csrfToken: string, query: URLSearchParams): Promise<string>;
  /** Answers /account/remote/… and the client document; false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse, pathname: string, accountId: string | undefined): Promise<boolean>;
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { ...pageHeaders(), ...headers, 'content-type': 'text/html; charset=utf-8' });
  res.end(body);
}

function redirect(res: ServerResponse, location: string) {
  res.writeHead(303, { location, 'cache-control': 'no-store' });
  res.end();
}

/** Why a step failed, in words fit for the user (never a token, never what the other side claimed). */
function failure(err: unknown): { status: number; title: string; message: string } {
  if (err instanceof LinkFlowError) return { status: 400, title: 'Connection refused', message: err.message };
  if (err instanceof IssuerMismatchError) {
    return {
      status: 400,
      title: 'Connection refused',
      message: 'The answer came from another authorization server than the one asked (a mix-up); nothing was linked.',
    };
  }
  // undici says "fetch failed" and keeps the reason (a refused address, a refused connection) as the cause.
  const cause = (err as { cause?: unknown })?.cause;
  const text = err instanceof Error ? `${err.message}${cause instanceof Error && cause.message !== err.message ? `: ${cause.message}` : ''}` : String(err);
  return { status: 502, title: 'The server could not be reached', message: `Connecting failed: ${text.slice(0, 300)}` };
}

export function createRemoteAccountSection(deps: { accounts: RemoteAccounts; csrf: Csrf; audit?: Audit; log: Logger }): RemoteAccountSection {
  const { accounts, csrf, audit, log } = deps;
  const csrfContext = (accountId: string) => `account:${accountId}`;
  const record = (subject: string, action: string, ok: boolean, detail?: string) =>
    audit?.record({ kind: 'oauth', action, subject, decision: ok ? 'allow' : 'deny', outcome: ok ? 'ok' : 'error', ...(detail ? { detail } : {}) });

  async function row(client: RemoteOAuthClient, accountId: string, token: string, query: URLSearchParams): Promise<string> {
    const name = client.backend.name;
    const status = await client.status(accountId);
    const asked = query.get('connect') === name;
    const scope = asked ? (query.get('scope') ?? '') : '';
    const connect = new URLSearchParams({ csrf: token, ...(scope ? { scope } : {}) });
    const label = status === 'none' ? `Connect ${name}` : `Connect ${name} again`;
    return `<li id="remote-${esc(name)}"><strong>${esc(name)}</strong> <span class="muted">${esc(STATUS[status])}</span>
${asked ? `<p class="note">An app asked for ${esc(name)}${scope ? ` with more access (${esc(scope)})` : ''}: connect it to go on.</p>` : ''}
<p class="actions"><a class="button" href="/account/remote/${encodeURIComponent(name)}/connect?${esc(connect.toString())}">${esc(label)}</a></p>
${status === 'none' ? '' : `<form method="post" action="/account/remote/${encodeURIComponent(name)}/disconnect" class="actions"><input type="hidden" name="csrf" value="${esc(token)}"><button class="secondary" type="submit">Disconnect ${esc(name)}</button></form>`}</li>`;
  }

  async function connect(req: IncomingMessage, res: ServerResponse, client: RemoteOAuthClient, accountId: string) {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    if (!csrf.check(csrfContext(accountId), q.get('csrf')))
      return send(res, 403, errorPage('Link expired', 'Open your account page again and connect from there.'));
    const scope = q.get('scope') ?? undefined;
    if (scope !== undefined && !/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/.test(scope)) {
      return send(res, 400, errorPage('Bad request', 'The scope to ask for is not a list of scope words.'));
    }
    try {
      redirect(res, (await client.start(accountId, scope)).toString());
    } catch (err) {
      const f = failure(err);
      log.warn({ backend: client.backend.name, err: err instanceof Error ? err.message : String(err) }, 'starting a remote link failed');
      send(res, f.status, errorPage(f.title, f.message));
    }
  }

  async function callback(req: IncomingMessage, res: ServerResponse, client: RemoteOAuthClient, accountId: string) {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    try {
      await client.finish(accountId, q);
      record(accountId, `remote_link:${client.backend.name}`, true);
      redirect(res, `/account#remote-${encodeURIComponent(client.backend.name)}`);
    } catch (err) {
      const f = failure(err);
      record(accountId, `remote_link:${client.backend.name}`, false, f.message.slice(0, 200));
      log.warn({ backend: client.backend.name, err: err instanceof Error ? err.message : String(err) }, 'finishing a remote link failed');
      send(res, f.status, errorPage(f.title, f.message));
    }
  }

  async function disconnect(req: IncomingMessage, res: ServerResponse, client: RemoteOAuthClient, accountId: string) {
    const form = await checkedForm(req, csrf, csrfContext(accountId));
    if (!(form instanceof URLSearchParams)) return send(res, form.status, form.page);
    await client.unlink(accountId);
    record(accountId, `remote_unlink:${client.backend.name}`, true);
    redirect(res, '/account');
  }

  return {
    async html(accountId, csrfToken, query) {
      if (!accounts.backends.length) return '';
      const rows = await Promise.all(accounts.backends.map((c) => row(c, accountId, csrfToken, query)));
      return `<h2>Connected servers</h2>
<p class="muted">Servers that need your own sign-in. Postern keeps what they give it sealed, for you only.</p>
<ul class="scopes">${rows.join('\n')}</ul>`;
    },

    async handle(req, res, pathname, accountId) {
      if (pathname === CLIENT_DOCUMENT_PATH && accounts.backends.length) {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=3600' });
        res.end(JSON.stringify(accounts.document()));
        return true;
      }
      const m = ROUTE.exec(pathname);
      if (!m) return false;
      const client = accounts.client(decodeURIComponent(m[1]));
      const action = m[2];
      const method = action === 'disconnect' ? 'POST' : 'GET';
      if (!client) send(res, 404, errorPage('Not found', 'No such server.'));
      else if (req.method !== method) send(res, 405, errorPage('Method not allowed', `Use ${method} here.`), { allow: method });
      else if (!accountId) send(res, 401, errorPage('Signed out', 'Open your account page, sign in, and connect again.'));
      else if (action === 'connect') await connect(req, res, client, accountId);
      else if (action === 'callback') await callback(req, res, client, accountId);
      else await disconnect(req, res, client, accountId);
      return true;
    },
  };
}
