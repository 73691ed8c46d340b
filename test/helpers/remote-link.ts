// Linking a gateway user's account at a remote, OAuth-protected MCP server the way a person does
// it: sign in to the gateway's /account, follow "Connect <backend>", sign in and consent at the
// remote's pages, and come back to the gateway's callback (or stop just before it).
import { createServer } from 'node:net';
import { TestBrowser, type Page } from './browser.js';

export interface Person {
  username: string;
  password: string;
}

/** A port that was free a moment ago (to know a server's URL before it starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A browser signed in to the gateway's account page as `user`, on that page. */
export async function signInToAccount(issuer: string, user: Person): Promise<{ browser: TestBrowser; page: Page }> {
  const browser = new TestBrowser();
  const login = await browser.go(`${issuer}/account`);
  let page = await browser.submit(login, '/login', { ...user });
  if (page.html.includes('/confirm')) page = await browser.submit(page, '/confirm');
  if (!page.html.includes('Connected apps')) throw new Error(`expected the account page, got ${page.status} ${page.url}\n${page.html.slice(0, 800)}`);
  return { browser, page };
}

/** The "Connect <backend>" link on the account page. */
export function connectHref(page: Page, backend: string): string {
  const m = new RegExp(`href="(/account/remote/${backend}/connect\\?[^"]+)"`).exec(page.html);
  if (!m) throw new Error(`no connect link for ${backend} on the page:\n${page.html.slice(0, 2000)}`);
  return new URL(m[1].replace(/&amp;/g, '&'), page.url).toString();
}

/**
 * From the account page: connect `backend`, signing in at the remote as `remoteUser`. Returns the
 * page the flow ends on, or with `stopAtCallback`, the callback URL the remote sent the browser to.
 */
export async function linkAtRemote(browser: TestBrowser, page: Page, backend: string, remoteUser: Person, stopAtCallback = false): Promise<Page> {
  const callback = `${new URL(page.url).origin}/account/remote/${backend}/callback`;
  const stop = stopAtCallback ? callback : undefined;
  const login = await browser.go(connectHref(page, backend), {}, stop);
  if (!login.html.includes('Sign in')) throw new Error(`expected the remote's login page, got ${login.status} ${login.url}\n${login.html.slice(0, 800)}`);
  const consent = await browser.submit(login, '/login', { ...remoteUser }, stop);
  if (stop && consent.url.startsWith(stop)) return consent;
  return consent.html.includes('/confirm') ? browser.submit(consent, '/confirm', {}, stop) : consent;
}
