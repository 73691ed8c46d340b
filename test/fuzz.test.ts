// Property-based bad input (fast-check) against every endpoint: random methods, paths, queries,
// headers and bodies, and random JSON-RPC on /mcp with a valid token, with and without an
// established session (whose plain requests take the lean path). Postern must never answer 5xx,
// never crash, and must still serve a normal flow afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { fullFlow, mcpInitialize } from './helpers/flow.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

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
  fc.dictionary(fc.constantFrom('grant_type', 'code', 'client_id', 'redirect_uri', 'code_verifier', 'refresh_token', 'token', 'csrf', 'username', 'password', 'resource', 'scope'), text).map((d) => new URLSearchParams(d).toString()),
);

describe('bad input never yields a 5xx', () => {
  let p: TestPostern;
  let token: string;
  let session: string;
  const seen5xx: string[] = [];

  before(async () => {
    p = await startTestPostern();
    token = (await fullFlow(p.issuer, p.mcpUrl, p.password)).tokens.body.access_token;
    const init = await mcpInitialize(p.mcpUrl, token);
    session = init.headers.get('mcp-session-id')!;
    await init.arrayBuffer();
    const initialized = await fetch(p.mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': session },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    assert.equal(initialized.status, 202);
  });
  after(() => p.destroy());

  it('random requests to every endpoint', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
        fc.dictionary(fc.constantFrom('client_id', 'response_type', 'redirect_uri', 'code_challenge', 'code_challenge_method', 'resource', 'scope', 'state', 'access_token', 'prompt', 'request', 'request_uri'), text),
        contentType,
        body,
        fc.constantFrom(undefined, 'Bearer x', 'Bearer ', 'Basic Og==', 'bearer a.b.c', `Bearer ${'a'.repeat(5000)}`),
        async (path, method, query, type, payload, authorization) => {
          const url = new URL(path, p.issuer);
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
    const method = fc.constantFrom('initialize', 'tools/list', 'tools/call', 'resources/read', 'prompts/get', 'ping', 'notifications/initialized', 'notifications/cancelled', 'server/discover', 'nope', '');
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

  it('still serves a normal flow afterwards', async () => {
    const flow = await fullFlow(p.issuer, p.mcpUrl, p.password);
    const res = await mcpInitialize(p.mcpUrl, flow.tokens.body.access_token);
    assert.equal(res.status, 200);
    await res.body?.cancel();
  });
});
