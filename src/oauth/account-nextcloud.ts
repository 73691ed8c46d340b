// "Connect Nextcloud" on the account page: /account/nextcloud shows the signed-in user's link,
// POST …/connect starts Login Flow v2 for them, GET …/wait (the waiting page reloads itself, no
// JavaScript) stores the link once they granted access in Nextcloud, POST …/unlink removes it.
// The account page's session, CSRF token and page rules apply; the logic is
// identity/nextcloud/connect.ts. A user who signed in with Nextcloud may link only that same
// Nextcloud user. In resource-server-only mode behind Nextcloud there is no account page: the
// same pages are served to whoever opens the link ticket the toolset handed out
// (ticketedNextcloudPages), and the subject, a Nextcloud user, may link only itself.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextcloudConnect, ConnectPaths } from '../identity/nextcloud/connect.js';
import { NEXTCLOUD_CONNECT_PATH } from '../identity/nextcloud/links.js';
import { NEXTCLOUD_PREFIX } from '../identity/nextcloud/ocs.js';
import { SESSION_SECONDS, type LinkTickets } from '../identity/nextcloud/link-tickets.js';
import { IdentityError } from '../identity/types.js';
import { errorPage } from '../pages/html.js';
import { parse as parseCookie } from 'hono/utils/cookie';
import type { Csrf } from './csrf.js';
import { FormError, readForm } from './forms.js';
import { sendHtml } from './page-session.js';

export const NEXTCLOUD_PATHS: ConnectPaths = {
  page: NEXTCLOUD_CONNECT_PATH,
  connect: `${NEXTCLOUD_CONNECT_PATH}/connect`,
  wait: `${NEXTCLOUD_CONNECT_PATH}/wait`,
  unlink: `${NEXTCLOUD_CONNECT_PATH}/unlink`,
};
const ROUTES: Record<string, 'GET' | 'POST'> = {
  [NEXTCLOUD_PATHS.page]: 'GET',
  [NEXTCLOUD_PATHS.connect]: 'POST',
  [NEXTCLOUD_PATHS.wait]: 'GET',
  [NEXTCLOUD_PATHS.unlink]: 'POST',
};

type Html = typeof sendHtml;

/** The Nextcloud user a subject may link: a Nextcloud sign-in's own user; anyone for other sources. */
const sameNextcloudUser = (accountId: string) => (accountId.startsWith(NEXTCLOUD_PREFIX) ? accountId.slice(NEXTCLOUD_PREFIX.length) : undefined);

export interface NextcloudAccountPages {
  /** Answers a path of the Nextcloud page; false when the path is not one. `accountId` is the session's user, if any. */
  handle(req: IncomingMessage, res: ServerResponse, pathname: string, accountId: string | undefined): Promise<boolean>;
}

export function nextcloudAccountPages(deps: {
  connect?: NextcloudConnect;
  csrf: Csrf;
  html: Html;
  /** Sends a browser without a session to sign in, back to `returnTo` afterwards. */
  signIn(res: ServerResponse, returnTo: string): void;
  /** The only Nextcloud user the subject may link, if it is bound to one. */
  requiredUser?: (accountId: string) => string | undefined;
}): NextcloudAccountPages {
  const requiredUser = deps.requiredUser ?? sameNextcloudUser;
  const { connect, csrf, html } = deps;
  const redirect = (res: ServerResponse, location: string) => {
    res.writeHead(303, { location, 'cache-control': 'no-store' });
    res.end();
  };

  async function postedForm(req: IncomingMessage, res: ServerResponse, accountId: string): Promise<boolean> {
    try {
      const form = await readForm(req);
      if (csrf.check(`account:${accountId}`, form.get('csrf'))) return true;
      html(res, 403, errorPage('Form expired', 'This form is not valid any more (CSRF check failed).'));
    } catch (err) {
      if (!(err instanceof FormError)) throw err;
      html(res, err.status, errorPage('Bad request', err.message));
    }
    return false;
  }

  async function route(req: IncomingMessage, res: ServerResponse, pathname: string, accountId: string, nc: NextcloudConnect): Promise<void> {
    const token = csrf.token(`account:${accountId}`);
    if (pathname === NEXTCLOUD_PATHS.page) return html(res, 200, await nc.statusPage(accountId, token, NEXTCLOUD_PATHS));
    if (pathname === NEXTCLOUD_PATHS.wait) {
      const result = await nc.wait(accountId, NEXTCLOUD_PATHS, token, requiredUser(accountId));
      return result.kind === 'page' ? html(res, result.status, result.html) : redirect(res, NEXTCLOUD_PATHS.page);
    }
    if (!(await postedForm(req, res, accountId))) return;
    if (pathname === NEXTCLOUD_PATHS.connect) return html(res, 200, await nc.connect(accountId, NEXTCLOUD_PATHS));
    await nc.unlink(accountId);
    redirect(res, NEXTCLOUD_PATHS.page);
  }

  return {
    async handle(req, res, pathname, accountId) {
      const method = ROUTES[pathname];
      if (!method) return false;
      if (!connect) html(res, 404, errorPage('No Nextcloud here', 'This Postern has no Nextcloud configured (identity.nextcloud.url).'));
      else if (req.method !== method && !(method === 'GET' && req.method === 'HEAD'))
        html(res, 405, errorPage('Method not allowed', `Use ${method} here.`), { allow: method });
      else if (!accountId && pathname === NEXTCLOUD_PATHS.page) deps.signIn(res, pathname);
      else if (!accountId) html(res, 401, errorPage('Signed out', 'Open your account page again.'));
      else {
        try {
          await route(req, res, pathname, accountId, connect);
        } catch (err) {
          if (!(err instanceof IdentityError)) throw err;
          html(res, 503, errorPage('Nextcloud is unavailable right now', err.message));
        }
      }
      return true;
    },
  };
}

const TICKET_COOKIE = 'postern_nextcloud_link';

/**
 * The Nextcloud pages for resource-server-only mode behind Nextcloud: GET /account/nextcloud?ticket=…
 * trades a valid, unused link ticket for a page session (cookie) for its subject and shows the page
 * without the ticket in the address; the subject may link only the Nextcloud user it names.
 */
export function ticketedNextcloudPages(deps: { connect: NextcloudConnect; csrf: Csrf; tickets: LinkTickets; secureCookies: boolean }) {
  const { tickets } = deps;
  const pages = nextcloudAccountPages({
    connect: deps.connect,
    csrf: deps.csrf,
    html: sendHtml,
    signIn: (res) => sendHtml(res, 401, errorPage('Open the link from your app', 'This page needs the link your app showed you; ask it again for a new one.')),
    requiredUser: (subject) => subject,
  });
  return async function handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    const ticket = pathname === NEXTCLOUD_PATHS.page && req.method === 'GET' ? new URL(req.url ?? '/', 'http://postern').searchParams.get('ticket') : null;
    if (ticket !== null) {
      const subject = await tickets.redeem(ticket);
      if (!subject) {
        sendHtml(res, 403, errorPage('Link expired', 'This link has expired or was used already. Ask your app again for a new one.'));
        return true;
      }
      const secure = deps.secureCookies ? '; Secure' : '';
      res.writeHead(303, {
        location: NEXTCLOUD_PATHS.page,
        'set-cookie': `${TICKET_COOKIE}=${tickets.session(subject)}; Path=${NEXTCLOUD_PATHS.page}; HttpOnly; SameSite=Lax; Max-Age=${SESSION_SECONDS}${secure}`,
        'cache-control': 'no-store',
      });
      res.end();
      return true;
    }
    const subject = tickets.sessionSubject(parseCookie(req.headers.cookie ?? '', TICKET_COOKIE)[TICKET_COOKIE]);
    return pages.handle(req, res, pathname, subject);
  };
}
