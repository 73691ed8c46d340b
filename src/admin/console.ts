// The admin console at /admin: signs the browser in through the same identity sources and browser
// session as /account (oauth/page-session.ts), lets in only accounts with the `admin` role (403
// for others), and routes to the pages. Every POST carries the form's CSRF token, bound to the
// signed-in admin; every change is audited with the admin as actor and takes effect at once. The
// pages are plain HTML forms under the pages' CSP (no scripts, no framing).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Csrf } from '../oauth/csrf.js';
import { FormError, readForm } from '../oauth/forms.js';
import { type PageSession, sendHtml } from '../oauth/page-session.js';
import { errorPage as pageError } from '../pages/html.js';
import { auditPage } from './audit.js';
import { backendsPage } from './backends.js';
import { clientsPage } from './clients.js';
import { configPage } from './config.js';
import { AdminError, type AdminDeps, type AdminPage, type Notice } from './context.js';
import { grantsPage } from './grants.js';
import { keysPage } from './keys.js';
import { adminPage } from './layout.js';
import { tokensPage } from './tokens.js';
import { usersPage } from './users.js';

/** An error page of the console: it says where to go on. */
const errorPage = (title: string, message: string) => pageError(title, message, undefined, 'Open /admin to go on.');

/** The role that opens the console. */
export const ADMIN_ROLE = 'admin';
const PAGES = new Map<string, AdminPage>(
  [usersPage, clientsPage, grantsPage, backendsPage, auditPage, tokensPage, keysPage, configPage].map((p) => [p.path, p]),
);
/** `/admin/<page>` or `/admin/<page>/<action>`: short plain names only. */
const ROUTE = /^\/admin\/([a-z]{1,20})(?:\/([a-z-]{1,30}))?$/;

export type AdminHandler = (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<boolean>;

export function createAdminConsole(deps: AdminDeps & { session: PageSession; csrf: Csrf }): AdminHandler {
  const { session, csrf, identity } = deps;
  const csrfFor = (admin: string) => csrf.token(`admin:${admin}`);

  async function show(res: ServerResponse, page: AdminPage, admin: string, query: URLSearchParams, notice?: Notice, status = 200) {
    let body: string;
    try {
      body = await page.view(deps, { admin, csrf: csrfFor(admin), query });
    } catch (err) {
      if (!(err instanceof AdminError)) throw err;
      notice = { text: err.message, error: true };
      status = err.status;
      body = `<p><a href="/admin/${page.path}">Start again</a></p>`;
    }
    sendHtml(res, status, adminPage({ current: page.path, title: page.title, admin, body, notice }));
  }

  async function act(req: IncomingMessage, res: ServerResponse, page: AdminPage, action: string, admin: string) {
    const run = page.actions?.[action];
    if (!run) return sendHtml(res, 404, errorPage('Not found', 'No such admin action.'));
    let form: URLSearchParams;
    try {
      form = await readForm(req);
    } catch (err) {
      if (err instanceof FormError) return sendHtml(res, err.status, errorPage('Bad request', err.message));
      throw err;
    }
    if (!csrf.check(`admin:${admin}`, form.get('csrf'))) {
      return sendHtml(res, 403, errorPage('Form expired', 'This form is not valid any more (CSRF check failed). Open the admin page again.'));
    }
    try {
      await show(res, page, admin, new URLSearchParams(), await run(deps, admin, form));
    } catch (err) {
      if (!(err instanceof AdminError)) throw err;
      await show(res, page, admin, new URLSearchParams(), { text: err.message, error: true }, err.status);
    }
  }

  async function download(res: ServerResponse, page: AdminPage, admin: string, query: URLSearchParams) {
    if (!page.download) return sendHtml(res, 404, errorPage('Not found', 'Nothing to download here.'));
    try {
      const file = await page.download(deps, query);
      res.writeHead(200, {
        'content-type': file.type,
        'content-disposition': `attachment; filename="${file.filename}"`,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
      res.end(file.body);
    } catch (err) {
      if (!(err instanceof AdminError)) throw err;
      await show(res, page, admin, new URLSearchParams(), { text: err.message, error: true }, err.status);
    }
  }

  return async function handleAdmin(req, res, pathname) {
    if (pathname !== '/admin' && !pathname.startsWith('/admin/')) return false;
    if (pathname === '/admin/callback') {
      await session.callback(req, res);
      return true;
    }
    const post = req.method === 'POST';
    if (!post && req.method !== 'GET' && req.method !== 'HEAD') {
      sendHtml(res, 405, errorPage('Method not allowed', 'Use GET or POST here.'), { allow: 'GET, POST' });
      return true;
    }
    const accountId = session.accountId(req);
    if (!accountId) {
      if (post) sendHtml(res, 401, errorPage('Signed out', 'Open /admin again to sign in.'));
      else session.startSignIn(res);
      return true;
    }
    const principal = await identity.findAccount(accountId);
    if (!principal?.roles.includes(ADMIN_ROLE)) {
      const message = `You are signed in as ${accountId}, which does not have the ${ADMIN_ROLE} role.`;
      sendHtml(res, 403, pageError('Admins only', message, undefined, 'An admin can give you the role on the Users page.'));
      return true;
    }
    if (pathname === '/admin' || pathname === '/admin/') {
      res.writeHead(303, { location: '/admin/users', 'cache-control': 'no-store' });
      res.end();
      return true;
    }
    const route = ROUTE.exec(pathname);
    const page = route && PAGES.get(route[1]);
    if (!route || !page) {
      sendHtml(res, 404, errorPage('Not found', 'No such admin page.'));
      return true;
    }
    const action = route[2];
    const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    if (post) {
      if (action) await act(req, res, page, action, accountId);
      else sendHtml(res, 405, errorPage('Method not allowed', 'Use GET here.'), { allow: 'GET' });
    } else if (action === 'export') await download(res, page, accountId, query);
    else if (action) sendHtml(res, 405, errorPage('Method not allowed', 'Use POST here.'), { allow: 'POST' });
    else await show(res, page, accountId, query);
    return true;
  };
}
