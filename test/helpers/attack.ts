// Shared setup and checks for the attack tests (test/attack-*.test.ts): one Postern per suite, the
// pages an attack starts from, and assertions that a refusal is exact and leaks nothing — no
// token, no code, no redirect to a URI the attacker chose.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before } from 'node:test';
import { TestBrowser, type Page } from './browser.js';
import { authorizeUrl, mcpInitialize, REDIRECT } from './flow.js';
import { startTestPostern, type LogCapture, type TestPostern } from './postern.js';

export interface Target {
  p: TestPostern;
}

/**
 * One Postern for the enclosing describe block: started before its tests, removed after them.
 * Without MCP backends (faster to start) unless `withBackends` asks for the demo ones; `config`
 * adds keys to the test configuration, `log` collects the log lines at warn level and above.
 */
export function usePostern(opts: { withBackends?: boolean; config?: Record<string, unknown>; log?: LogCapture } = {}): Target {
  const target = {} as Target;
  before(async () => {
    target.p = await startTestPostern({ ...(opts.withBackends ? {} : { mcpServers: {} }), ...opts.config }, undefined, { capture: opts.log });
  });
  after(() => target.p.destroy());
  return target;
}

/**
 * Every cookie name Postern (the page sessions of /account and /admin, their sign-in cookies, the
 * link-ticket session) and oidc-provider (_session, _interaction, _interaction_resume, and their .sig) use.
 */
export const COOKIE_NAMES = [
  'postern_account',
  'postern_admin',
  'postern_account_signin',
  'postern_admin_signin',
  'postern_nextcloud_link',
  '_session',
  '_session.sig',
  '_interaction',
  '_interaction.sig',
  '_interaction_resume',
  '_interaction_resume.sig',
];

const TOKEN_FIELDS = ['access_token', 'refresh_token', 'id_token', 'code', 'client_id'];

/** An OAuth JSON error: exact status and error code, a description, and no token, code or client. */
export function assertOAuthError(res: { status: number; body: Record<string, unknown> }, status: number, error: string, description?: RegExp): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.error, error, JSON.stringify(res.body));
  assert.equal(typeof res.body.error_description, 'string');
  if (description) assert.match(String(res.body.error_description), description);
  for (const field of TOKEN_FIELDS) assert.equal(res.body[field], undefined, `no ${field} in a refusal`);
}

/** Reads a JSON (or not) answer into the { status, body } shape the assertions take. */
export async function jsonAnswer(res: Response): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text);
  } catch {
    body = { raw: text };
  }
  return { status: res.status, body, headers: res.headers };
}

/**
 * An authorization error sent back to the client: only to the registered redirect URI, with the
 * error, the client's state and our issuer (RFC 9207) — and no code or token.
 */
export function assertErrorRedirect(location: string | null, error: string, issuer: string): URLSearchParams {
  assert.ok(location, 'the error goes back to the client');
  const url = new URL(location);
  assert.equal(url.origin + url.pathname, REDIRECT, 'only to the registered redirect URI');
  const params = new URLSearchParams(url.hash ? url.hash.slice(1) : url.search);
  assert.equal(params.get('error'), error, location);
  assert.equal(params.get('state'), 'st-123', 'state passed through');
  assert.equal(params.get('iss'), issuer, 'iss names this server');
  for (const field of ['code', 'access_token', 'id_token']) assert.equal(params.get(field), null, `no ${field}`);
  return params;
}

/** An authorization request answered on a page of ours, not redirected anywhere: no Location, no refresh, no link out. */
export async function assertNoRedirect(res: Response, status: number, error: string): Promise<string> {
  assert.equal(res.status, status);
  assert.equal(res.headers.get('location'), null, 'no Location header');
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  assertNoFraming(res.headers);
  const html = await res.text();
  assert.match(html, new RegExp(`\\b${error}\\b`), 'the page names the error');
  assert.doesNotMatch(html, /http-equiv="refresh"|<a\s|[?&#]code=/, 'no way out to the redirect URI');
  return html;
}

/** A refused step of the sign-in pages: the status and message, and the flow did not reach the client. */
export function assertRefusedPage(page: Page, status: number, message: RegExp): void {
  assert.equal(page.status, status, page.html.slice(0, 500));
  assert.match(page.html, message);
  assert.ok(!page.url.startsWith(REDIRECT), `no redirect to the client: ${page.url}`);
  assert.equal(page.headers.get('location'), null);
  assert.equal(new URL(page.url).searchParams.get('code'), null);
}

/** Clickjacking and leak defences every HTML page carries. */
export function assertNoFraming(headers: Headers): void {
  const csp = headers.get('content-security-policy') ?? '';
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /base-uri 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|script-src/);
  assert.equal(headers.get('x-frame-options'), 'DENY');
  assert.equal(headers.get('cache-control'), 'no-store');
  assert.equal(headers.get('referrer-policy'), 'no-referrer');
  assert.equal(headers.get('x-content-type-options'), 'nosniff');
}

/** Opens the sign-in page of a fresh authorization request in a new browser. */
export async function openLogin(p: TestPostern, clientId: string, params: Record<string, string> = {}) {
  const browser = new TestBrowser();
  const page = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, clientId, params), {}, REDIRECT);
  assert.equal(page.status, 200, page.html.slice(0, 500));
  assert.match(page.html, /Sign in/);
  return { browser, page };
}

/** Signs in as admin on a fresh authorization request and stops at the consent page. */
export async function openConsent(p: TestPostern, clientId: string, params: Record<string, string> = {}) {
  const { browser, page: login } = await openLogin(p, clientId, params);
  const page = await browser.submit(login, '/login', { username: 'admin', password: p.password }, REDIRECT);
  assert.match(page.html, /Allow access/);
  return { browser, page };
}

/** The status of an MCP initialize with this bearer token. */
export async function mcpStatus(p: TestPostern, token: string): Promise<number> {
  const res = await mcpInitialize(p.mcpUrl, token);
  await res.body?.cancel();
  return res.status;
}

/** /mcp refused the bearer: exact status and error, the RFC 9728 challenge, no MCP session or result. */
export async function assertBearerRefused(p: TestPostern, res: Response, status: 400 | 401, error: string, description: RegExp): Promise<void> {
  assert.equal(res.status, status);
  const challenge = res.headers.get('www-authenticate') ?? '';
  assert.match(challenge, new RegExp(`^Bearer error="${error}"`));
  assert.ok(challenge.includes(`resource_metadata="${p.issuer}/.well-known/oauth-protected-resource/mcp"`), challenge);
  assert.equal(res.headers.get('mcp-session-id'), null, 'no session opened');
  const body = (await jsonAnswer(res)).body;
  assert.equal(body.error, error);
  assert.match(String(body.error_description), description);
  assert.equal(body.result, undefined, 'no MCP result');
}

/** A raw HTTP request, so that Host and other headers fetch will not send can be set. */
export function raw(
  url: string,
  headers: Record<string, string>,
  method = 'GET',
  /** The request target as sent, e.g. an absolute-form URL; default the URL's path. */
  target?: string,
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path: target ?? `${u.pathname}${u.search}`, method, headers, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`no answer within 5 s: ${method} ${target ?? url}`)));
    req.end();
  });
}
