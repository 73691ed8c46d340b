// Property-based bad input (fast-check) against every endpoint: random methods, paths, queries,
// headers and bodies; random JSON-RPC on /mcp with a valid token, with and without an
// established session (whose plain requests take the lean path); and random values of every
// header and cookie Postern or oidc-provider parses, on every route family (the account, admin
// and Connect Nextcloud pages included); random queries and forms on every admin page and action
// behind a real admin session and CSRF token. Postern must never
// answer 5xx, never log at error level, never crash, and must still serve a normal flow afterwards.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { fullFlow, mcpInitialize, register } from './helpers/flow.js';
import { LogCapture, startTestPostern, type TestPostern } from './helpers/postern.js';
import { COOKIE_NAMES, openLogin } from './helpers/attack.js';
import { send } from './helpers/http.js';
import { TestBrowser } from './helpers/browser.js';
import { deriveKey, loadSecret } from '../src/oauth/secret.js';
import { CookieKeys } from '../src/oauth/cookie-keys.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

const paths = [
  '/mcp',
  '/register',
  '/authorize',
  '/token',
  '/revoke',
  '/jwks',
  '/userinfo',
  '/.well-known/oauth-authorization-server',
  '/.well-known/openid-configuration',
  '/.well-known/oauth-protected-resource',
  '/.well-known/oauth-protected-resource/mcp',
  '/interaction/abc',
  '/interaction/abc/login',
  '/interaction/abc/confirm',
  '/interaction/abc/abort',
  '/account',
  '/account/callback',
  '/account/nextcloud',
  '/account/nextcloud/connect',
  '/account/nextcloud/wait',
  '/account/nextcloud/unlink',
  '/admin',
  '/admin/users',
  '/admin/users/add',
  '/admin/audit',
  '/admin/audit/export',
  '/admin/callback',
  '//admin/users',
  '/admin/../admin/config',
  '/healthz',
  '/',
];

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', '%', '%zz', '\u0000', '../..', 'null', '[]', '{}', 'a'.repeat(3000)));
const contentType = fc.constantFrom(
  'application/json',
  'application/x-www-form-urlencoded',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  '',
);
const jsonValue = fc.jsonValue({ maxDepth: 3 });
const body = fc.oneof(
  text,
  jsonValue.map((v) => JSON.stringify(v)),
  fc
    .dictionary(
      fc.constantFrom(
        'grant_type',
        'code',
        'client_id',
        'redirect_uri',
        'code_verifier',
        'refresh_token',
        'token',
        'csrf',
        'username',
        'password',
        'resource',
        'scope',
      ),
      text,
    )
    .map((d) => new URLSearchParams(d).toString()),
);

describe('bad input never yields a 5xx', () => {
  let p: TestPostern;
  let token: string;
  let session: string;
  const seen5xx: string[] = [];
  const log = new LogCapture();
  /** What reaches console.error (libraries that do not log through pino) during the run. */
  const consoleErrors: unknown[][] = [];
  const consoleError = console.error;

  before(async () => {
    console.error = (...args: unknown[]) => void consoleErrors.push(args);
    p = await startTestPostern({}, undefined, { capture: log });
    token = (await fullFlow(p.issuer, p.mcpUrl, p.password)).tokens.body.access_token;
    const init = await mcpInitialize(p.mcpUrl, token);
    session = init.headers.get('mcp-session-id')!;
    await init.arrayBuffer();
    const initialized = await fetch(p.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': session,
      },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    assert.equal(initialized.status, 202);
  });
  after(async () => {
    console.error = consoleError;
    await p.destroy();
  });

  it('random requests to every endpoint', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
        fc.dictionary(
          fc.constantFrom(
            'client_id',
            'response_type',
            'redirect_uri',
            'code_challenge',
            'code_challenge_method',
            'resource',
            'scope',
            'state',
            'access_token',
            'prompt',
            'request',
            'request_uri',
          ),
          text,
        ),
        contentType,
        body,
        fc.constantFrom(undefined, 'Bearer x', 'Bearer ', 'Basic Og==', 'bearer a.b.c', `Bearer ${'a'.repeat(5000)}`),
        async (path, method, query, type, payload, authorization) => {
          const url = new URL(`${p.issuer}${path}`);
          for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
          const headers: Record<string, string> = {};
          if (type) headers['content-type'] = type;
          if (authorization) headers.authorization = authorization;
          const res = await fetch(url, {
            method,
            headers,
            body: method === 'GET' || method === 'OPTIONS' ? undefined : payload,
            redirect: 'manual',
          });
          await res.arrayBuffer();
          if (res.status >= 500) seen5xx.push(`${method} ${url} ${type} ${payload.slice(0, 80)} → ${res.status}`);
          return res.status < 500;
        },
      ),
      { numRuns: RUNS },
    );
    assert.deepEqual(seen5xx, []);
  });

  it('random JSON-RPC on /mcp with a valid token', async () => {
    const method = fc.constantFrom(
      'initialize',
      'tools/list',
      'tools/call',
      'resources/read',
      'prompts/get',
      'ping',
      'notifications/initialized',
      'notifications/cancelled',
      'server/discover',
      'nope',
      '',
    );
    const message = fc.record(
      {
        jsonrpc: fc.constantFrom('2.0', '1.0', 2),
        id: fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null)),
        method,
        params: fc.oneof(
          jsonValue,
          fc.record(
            {
              name: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('everything__echo', 'everything__get-sum')),
              arguments: fc.oneof(jsonValue, fc.record({ message: fc.string({ maxLength: 20 }), a: fc.integer(), b: jsonValue }, { requiredKeys: [] })),
              uri: fc.string({ maxLength: 30 }),
              protocolVersion: fc.constantFrom('2025-11-25', '2026-07-28', 'x'),
              requestId: fc.oneof(fc.integer(), fc.string({ maxLength: 8 })),
              _meta: fc.oneof(jsonValue, fc.record({ progressToken: fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.double()) }, { requiredKeys: [] })),
            },
            { requiredKeys: [] },
          ),
        ),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(message, fc.array(message, { maxLength: 3 })),
        fc.constantFrom(undefined, '2025-11-25', '2026-07-28', 'garbage'),
        fc.constantFrom(undefined, 'not-a-session', '00000000-0000-0000-0000-000000000000', 'established'),
        fc.constantFrom('application/json, text/event-stream', 'application/json', 'text/event-stream, application/json;q=0.5', ''),
        async (msg, version, sessionChoice, accept) => {
          const headers: Record<string, string> = {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
          };
          if (accept) headers.accept = accept;
          if (version) headers['mcp-protocol-version'] = version;
          if (sessionChoice) headers['mcp-session-id'] = sessionChoice === 'established' ? session : sessionChoice;
          const res = await fetch(p.mcpUrl, { method: 'POST', headers, body: JSON.stringify(msg) });
          await res.arrayBuffer();
          if (res.status >= 500) seen5xx.push(`${JSON.stringify(msg).slice(0, 200)} v=${version} s=${sessionChoice} a=${accept} → ${res.status}`);
          return res.status < 500;
        },
      ),
      { numRuns: RUNS },
    );
    assert.deepEqual(seen5xx, []);
  });

  it('random values of every header and cookie Postern parses, on every route family', async () => {
    // Real state to start from, so that cookies and headers reach the code that reads them: an
    // interaction with its cookies, a signed-in /account, a registered client.
    const clientId = (await register(p.issuer)).body.client_id as string;
    const { browser, page } = await openLogin(p, clientId);
    const uid = new URL(page.url).pathname;
    const accountBrowser = new TestBrowser();
    const login = await accountBrowser.go(`${p.issuer}/account`);
    await accountBrowser.submit(login, '/login', { username: 'admin', password: p.password });
    await accountBrowser.go(`${p.issuer}/admin/users`); // the shared session: the /admin cookie too
    const realCookies = [browser.jar.header(page.url), accountBrowser.jar.header(`${p.issuer}/account`)];
    assert.match(realCookies[1], /postern_admin=/);
    const secret = loadSecret(p.config);
    const cookieKeys = new CookieKeys([deriveKey(secret, 'cookies')]);
    const accountKey = deriveKey(secret, 'account');
    const host = new URL(p.issuer).host;

    const routes: Array<[string, string]> = [
      ['POST', '/mcp'],
      ['GET', '/mcp'],
      ['DELETE', '/mcp'],
      ['GET', '/.well-known/oauth-authorization-server'],
      ['GET', '/.well-known/openid-configuration'],
      ['GET', '/.well-known/oauth-protected-resource/mcp'],
      [
        'GET',
        `/authorize?client_id=${clientId}&response_type=code&redirect_uri=${encodeURIComponent('http://127.0.0.1:53999/cb')}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256&resource=${encodeURIComponent(p.mcpUrl)}`,
      ],
      ['POST', '/token'],
      ['POST', '/register'],
      ['POST', '/revoke'],
      ['GET', '/jwks'],
      ['GET', '/userinfo'],
      ['GET', uid],
      ['POST', `${uid}/login`],
      ['POST', `${uid}/confirm`],
      ['POST', `${uid}/abort`],
      ['GET', '/account'],
      ['POST', '/account/withdraw'],
      ['GET', '/account/callback?state=x&code=y'],
      ['GET', '/account/nextcloud'],
      ['POST', '/account/nextcloud/connect'],
      ['GET', '/account/nextcloud/wait'],
      ['POST', '/account/nextcloud/unlink'],
      ['GET', '/admin/users'],
      ['GET', '/admin/audit?user=x&page=2'],
      ['GET', '/admin/audit/export?format=csv'],
      ['POST', '/admin/tokens/create'],
      ['POST', '/admin/users/disable'],
      ['GET', '/admin/callback?state=x&code=y'],
      ['GET', '/healthz'],
      ['GET', '/'],
    ];
    const chars = fc.constantFrom(...'%=;,. "\\/+:@?#[]{}*|-_aZ09\t\u00e9\u00ff'.split(''));
    const junk = fc.oneof(
      fc.string({ unit: chars, maxLength: 40 }),
      fc.constantFrom('', '%', '%zz', '%E0%A4%A', '=?base64?!!?=', '=?base64?', 'null', 'a'.repeat(5000)),
    );
    const cookieValue = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.|%:'.split('')), maxLength: 30 });
    const cookie = fc.oneof(
      // any name, any value
      fc
        .array(
          fc.tuple(fc.oneof(fc.constantFrom(...COOKIE_NAMES), junk), junk).map(([n, v]) => `${n}=${v}`),
          { maxLength: 4 },
        )
        .map((pairs) => pairs.join('; ')),
      // oidc-provider cookies with a valid signature over a value it did not make
      fc
        .tuple(fc.constantFrom('_session', '_interaction', '_interaction_resume'), cookieValue)
        .map(([n, v]) => `${n}=${v}; ${n}.sig=${cookieKeys.sign(`${n}=${v}`)}`),
      // a page session cookie (/account, /admin), validly signed over an odd account id or expiry
      fc.tuple(fc.constantFrom('/account', '/admin'), cookieValue, fc.oneof(fc.integer(), fc.constantFrom('x', '', '1e999'))).map(([path, id, exp]) => {
        const value = `${id}|${exp}`;
        return `postern_${path.slice(1)}=${encodeURIComponent(`${value}.${createHmac('sha256', accountKey).update(`${path}|${value}`).digest('base64url')}`)}`;
      }),
      // the real cookies of a flow, damaged
      fc.tuple(fc.constantFrom(...realCookies), junk).map(([real, extra]) => `${real}${extra}`),
      fc.constantFrom(...realCookies),
    );
    const headers = fc.record(
      {
        cookie,
        authorization: fc.oneof(
          junk,
          junk.map((j) => `Bearer ${j}`),
          junk.map((j) => `Basic ${j}`),
          fc.constant(`Bearer ${token}`),
          fc.constant(`Bearer ${token}x`),
          fc.constant(`bearer  ${token}`),
        ),
        'mcp-session-id': fc.oneof(junk, fc.constant(session), fc.uuid()),
        'mcp-protocol-version': fc.oneof(junk, fc.constantFrom('2025-11-25', '2026-07-28', '2025-06-18')),
        'mcp-param-message': junk,
        'mcp-param-a': junk,
        'x-forwarded-for': junk,
        'x-forwarded-host': junk,
        'x-forwarded-proto': junk,
        'x-forwarded-port': junk,
        'x-forwarded-prefix': junk,
        'x-forwarded-user': junk,
        origin: fc.oneof(junk, fc.constantFrom('null', 'https://evil.example', p.issuer)),
        host: fc.oneof(
          fc.constant(host),
          junk.filter((j) => j.length > 0 && !/[\t]/.test(j)),
          fc.constantFrom('localhost', `[::1]:${new URL(p.issuer).port}`, 'evil.example', `${host}.`, `a@${host}`),
        ),
        'last-event-id': junk,
        accept: fc.constantFrom('application/json, text/event-stream', 'text/html', '*/*', ''),
      },
      { requiredKeys: [] },
    );
    const bodyFor = (path: string) =>
      path === '/mcp'
        ? JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'everything__echo', arguments: { message: 'hi' } } })
        : path === '/register'
          ? JSON.stringify({ redirect_uris: ['http://127.0.0.1:53999/cb'] })
          : 'csrf=x&username=admin&password=wrong&grant=x&token=x&grant_type=authorization_code&code=x&client_id=x&name=x&roles=x';
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), headers, async ([method, path], sent) => {
        const post = method === 'POST';
        const all: Record<string, string> = { ...sent };
        if (post) all['content-type'] = path === '/mcp' || path === '/register' ? 'application/json' : 'application/x-www-form-urlencoded';
        const res = await send(`${p.issuer}${path}`, { method, headers: all, body: post ? bodyFor(path) : undefined });
        if (res.status >= 500) seen5xx.push(`${method} ${path} ${JSON.stringify(sent).slice(0, 300)} → ${res.status}`);
        return res.status < 500;
      }),
      { numRuns: RUNS * 2 },
    );
    assert.deepEqual(seen5xx, []);
    assert.deepEqual(log.errors, []);
    assert.deepEqual(consoleErrors, []);
  });

  it('random queries and forms on every admin page and action, signed in as an admin with a valid CSRF token', async () => {
    const browser = new TestBrowser();
    const login = await browser.go(`${p.issuer}/admin/users`);
    const users = await browser.submit(login, '/login', { username: 'admin', password: p.password });
    assert.equal(users.status, 200);
    const csrf = /name="csrf" value="([^"]+)"/.exec(users.html)?.[1];
    assert.ok(csrf);
    const cookie = browser.jar.header(`${p.issuer}/admin/users`);
    const pages = ['users', 'clients', 'grants', 'backends', 'audit', 'tokens', 'keys', 'config', 'nope'];
    // Every action but key rotation (slow, and covered by its own tests).
    const actions = [
      'users/add',
      'users/reset',
      'users/disable',
      'users/enable',
      'users/roles',
      'users/account-roles',
      'clients/revoke',
      'grants/withdraw',
      'backends/restart',
      'tokens/create',
      'tokens/revoke',
      'audit/export',
      'users/nope',
    ];
    const query = fc.dictionary(fc.constantFrom('user', 'client', 'tool', 'outcome', 'from', 'to', 'page', 'format'), text);
    const form = fc.dictionary(fc.constantFrom('username', 'roles', 'subject', 'client', 'grant', 'name', 'backend', 'format'), text);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(fc.constant('GET'), fc.constantFrom(...pages.map((x) => `/admin/${x}`), '/admin/audit/export'), query),
          fc.tuple(fc.constant('POST'), fc.constantFrom(...actions.map((x) => `/admin/${x}`)), form),
        ),
        fc.constantFrom(csrf, '', 'x', `${csrf}x`),
        async ([method, path, fields], token) => {
          const url = new URL(`${p.issuer}${path}`);
          const post = method === 'POST';
          if (!post) for (const [k, v] of Object.entries(fields)) url.searchParams.set(k, v);
          const res = await send(url.toString(), {
            method,
            headers: { cookie, ...(post ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
            body: post ? new URLSearchParams({ ...fields, csrf: token }).toString() : undefined,
          });
          if (res.status >= 500) seen5xx.push(`${method} ${url.pathname}${url.search} ${JSON.stringify(fields).slice(0, 300)} → ${res.status}`);
          return res.status < 500;
        },
      ),
      { numRuns: RUNS },
    );
    assert.deepEqual(seen5xx, []);
    assert.deepEqual(log.errors, []);
  });

  it('still serves a normal flow afterwards', async () => {
    const flow = await fullFlow(p.issuer, p.mcpUrl, p.password);
    const res = await mcpInitialize(p.mcpUrl, flow.tokens.body.access_token);
    assert.equal(res.status, 200);
    await res.body?.cancel();
  });
});
