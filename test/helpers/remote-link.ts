// Linking a gateway user's account at a remote, OAuth-protected MCP server the way a person does
// it: sign in to the gateway's /account, follow "Connect <backend>", sign in and consent at the
// remote's pages, and come back to the gateway's callback (or stop just before it).
import type { IncomingMessage } from 'node:http';
import { createServer } from 'node:net';
import { decodeJwt } from 'jose';
import { UpstreamCredentials } from '../../src/identity/credentials.js';
import { LocalUsers } from '../../src/identity/local/users.js';
import { RemoteLinks } from '../../src/identity/remote-oauth/links.js';
import { Sealer } from '../../src/identity/sealed.js';
import { loadSecret } from '../../src/oauth/secret.js';
import { TestBrowser, type Page } from './browser.js';
import { startTestPostern, type TestPostern, type TestStartOptions } from './postern.js';

export interface Person {
  username: string;
  password: string;
}

/** A port that was free a moment ago (to know a server's URL before it starts). */
/** The people of the remote-OAuth tests: users of the gateway, and their accounts at the remote. */
export const PEOPLE = {
  alice: { username: 'alice', password: 'alice-gateway-pw' },
  bob: { username: 'bob', password: 'bob-gateway-pw' },
  aliceRemote: { username: 'alice-r', password: 'alice-remote-pw' },
  bobRemote: { username: 'bob-r', password: 'bob-remote-pw' },
} satisfies Record<string, Person>;

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
  const first = await browser.go(connectHref(page, backend), {}, stop);
  // Signed in at the remote already (the same browser linked before): straight to its consent page.
  const signedIn = first.html.includes('/confirm');
  if (!signedIn && !first.html.includes('Sign in'))
    throw new Error(`expected the remote's login page, got ${first.status} ${first.url}\n${first.html.slice(0, 800)}`);
  const consent = signedIn ? first : await browser.submit(first, '/login', { ...remoteUser }, stop);
  if (stop && consent.url.startsWith(stop)) return consent;
  return consent.html.includes('/confirm') ? browser.submit(consent, '/confirm', {}, stop) : consent;
}

/** Loopback only: what the tests allow the gateway to fetch besides public addresses. */
export const LOOPBACK = ['127.0.0.0/8', '::1/128'];

/**
 * A remote Postern (at "localhost", so that its cookies and the gateway's at "127.0.0.1" stay
 * apart) with the users `remoteUsers`, started with `overrides`.
 */
export async function startRemote(remoteUsers: Person[], overrides: Record<string, unknown> = {}, start: TestStartOptions = {}): Promise<TestPostern> {
  const port = await freePort();
  const { server, ...rest } = overrides as { server?: Record<string, unknown> };
  const remote = await startTestPostern({ server: { port, issuer: `http://localhost:${port}`, ...server }, ...rest }, undefined, start);
  for (const u of remoteUsers) await new LocalUsers(remote.store).setPassword(u.username, u.password, { create: true });
  return remote;
}

/** A gateway Postern with the users `users` and the backend "tracker" (auth: oauth) at `url`, plus `entry`. */
export async function startGateway(
  users: Person[],
  url: string,
  entry: Record<string, unknown> = {},
  overrides: Record<string, unknown> = {},
  start: TestStartOptions = {},
): Promise<TestPostern> {
  const gw = await startTestPostern(
    { mcpServers: { tracker: { url, auth: 'oauth', allowPrivateAddresses: LOOPBACK, ...entry } }, ...overrides },
    undefined,
    start,
  );
  for (const u of users) await new LocalUsers(gw.store).setPassword(u.username, u.password, { create: true });
  return gw;
}

/** The gateway's store of users' links (to look at what it keeps). */
export function linksOf(gw: TestPostern): RemoteLinks {
  return new RemoteLinks(new UpstreamCredentials(gw.store, new Sealer(loadSecret(gw.config))));
}

/** What a request to the remote's /mcp carried: the `sub` of its bearer token and its protocol headers. */
export interface SeenAtRemote {
  sub?: string;
  version?: string;
  session?: string;
}

/** Reads `request` as SeenAtRemote (a token that is no JWT has no `sub`). */
export function seenAtRemote(request: IncomingMessage): SeenAtRemote {
  const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
  let sub: string | undefined;
  try {
    sub = bearer ? decodeJwt(bearer).sub : undefined;
  } catch {
    sub = undefined;
  }
  const header = (name: string) => request.headers[name] as string | undefined;
  return { sub, version: header('mcp-protocol-version'), session: header('mcp-session-id') };
}
