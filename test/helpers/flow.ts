// A raw OAuth client over fetch for negative tests: registration, PKCE, authorize through the
// pages with TestBrowser, token requests — every step inspectable.
import { createHash, randomBytes } from 'node:crypto';
import { TestBrowser, type Page } from './browser.js';
import { send } from './http.js';

export const REDIRECT = 'http://127.0.0.1:53999/cb';

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

export async function register(issuer: string, metadata: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const res = await send(`${issuer}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({
      client_name: 'Negative test client',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...metadata,
    }),
  });
  return { status: res.status, body: JSON.parse(res.text), headers: res.headers };
}

export function authorizeUrl(issuer: string, mcpUrl: string, clientId: string, params: Record<string, string> = {}) {
  const url = new URL(`${issuer}/authorize`);
  const { challenge } = pkce();
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope: 'mcp:tools',
    resource: mcpUrl,
    state: 'st-123',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...params,
  }).toString();
  return url.toString();
}

/** Signs in and consents; returns the callback redirect and the browser. */
export async function authorize(issuer: string, mcpUrl: string, clientId: string, password: string, params: Record<string, string> = {}) {
  const browser = new TestBrowser();
  const login: Page = await browser.go(authorizeUrl(issuer, mcpUrl, clientId, params), {}, REDIRECT);
  const consent = await browser.submit(login, '/login', { username: 'admin', password }, REDIRECT);
  const done = consent.url.startsWith(REDIRECT) ? consent : await browser.submit(consent, '/confirm', {}, REDIRECT);
  return new URL(done.url);
}

export async function tokenRequest(issuer: string, fields: Record<string, string>) {
  const res = await send(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(fields).toString(),
  });
  const text = res.text;
  let body: Record<string, string> = {};
  try {
    body = JSON.parse(text);
  } catch {
    body = { raw: text };
  }
  return { status: res.status, body };
}

/** Signs in and consents with a fresh PKCE pair; returns the code with its verifier. */
export async function codeFor(issuer: string, mcpUrl: string, clientId: string, password: string, params: Record<string, string> = {}) {
  const { verifier, challenge } = pkce();
  const callback = await authorize(issuer, mcpUrl, clientId, password, { code_challenge: challenge, ...params });
  return { code: callback.searchParams.get('code')!, verifier, challenge, callback };
}

/** Exchanges an authorization code at /token; `extra` adds or overrides fields. */
export function redeem(issuer: string, clientId: string, code: string, verifier: string, extra: Record<string, string> = {}) {
  return tokenRequest(issuer, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: clientId, code_verifier: verifier, ...extra });
}

/** Uses a refresh token at /token; `extra` adds or overrides fields. */
export function refresh(issuer: string, clientId: string, refreshToken: string, extra: Record<string, string> = {}) {
  return tokenRequest(issuer, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId, ...extra });
}

/** Registers a client and signs in for it; returns its id and a fresh code with the verifier. */
export async function registerAndAuthorize(issuer: string, mcpUrl: string, password: string, params: Record<string, string> = {}) {
  const { body: client } = await register(issuer);
  return { clientId: client.client_id as string, ...(await codeFor(issuer, mcpUrl, client.client_id, password, params)) };
}

/** Registers a client and runs the whole flow to tokens. */
export async function fullFlow(issuer: string, mcpUrl: string, password: string, opts: { scope?: string; metadata?: Record<string, unknown> } = {}) {
  const { body: client } = await register(issuer, opts.metadata);
  const clientId = client.client_id as string;
  const { code, verifier, callback } = await codeFor(issuer, mcpUrl, clientId, password, opts.scope !== undefined ? { scope: opts.scope } : {});
  const tokens = await redeem(issuer, clientId, code, verifier);
  return { clientId, code, verifier, callback, tokens };
}

export async function mcpInitialize(mcpUrl: string, token: string, headers: Record<string, string> = {}) {
  return fetch(mcpUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    }),
  });
}
