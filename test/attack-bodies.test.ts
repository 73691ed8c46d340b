// Attack family: oversize request bodies. A body sent with `Transfer-Encoding: chunked` (no
// Content-Length) larger than its route's limit is refused with 413 while it is read — long before
// the client has sent it all — and the connection is closed; a Content-Length over the limit is
// refused before anything is read. On every route that reads a body: /mcp on both ways in, the
// authorization server's endpoints, the sign-in forms and /account. Nothing is logged as an error.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { TestBrowser } from './helpers/browser.js';
import { fullFlow, mcpInitialize, register } from './helpers/flow.js';
import { openLogin, usePostern } from './helpers/attack.js';
import { floodChunked, headOnly, type RawOutcome } from './helpers/raw-socket.js';
import { LogCapture } from './helpers/postern.js';

const MiB = 1024 * 1024;

/** Refused while reading: 413 soon, well before `max` bytes went out, and the connection closed. */
function assertRefusedEarly(out: RawOutcome, max: number, what: string): void {
  assert.equal(out.status, 413, `${what}: ${JSON.stringify(out)}`);
  assert.equal(out.headers.connection, 'close', what);
  assert.ok(out.closed, `${what}: the connection is closed`);
  assert.ok(out.sent < max, `${what}: refused after ${out.sent} of ${max} bytes`);
  assert.ok(out.ms < 3000, `${what}: answered after ${out.ms} ms`);
}

function assertOAuth413(out: RawOutcome): void {
  const body = JSON.parse(out.body);
  assert.equal(body.error, 'invalid_request');
  assert.match(body.error_description, /larger than \d+ bytes/);
}

function assertJsonRpc413(out: RawOutcome): void {
  const body = JSON.parse(out.body);
  assert.equal(body.jsonrpc, '2.0');
  assert.equal(body.error.code, -32600);
  assert.match(body.error.message, /larger than \d+ bytes/);
  assert.equal(body.id, null);
}

function assertPage413(out: RawOutcome): void {
  assert.match(out.headers['content-type'] ?? '', /^text\/html/);
  assert.match(out.body, /too large/);
}

/** Sends only a request head announcing `length` bytes of body, and reads the answer. */
const announce = (url: string, headers: Record<string, string>, length: number) => headOnly(url, 'POST', { ...headers, 'content-length': String(length) });

describe('oversize request bodies', () => {
  const log = new LogCapture();
  const at = usePostern({ log });
  let token: string;
  let session: string;
  let clientId: string;

  before(async () => {
    const flow = await fullFlow(at.p.issuer, at.p.mcpUrl, at.p.password);
    token = flow.tokens.body.access_token;
    clientId = flow.clientId;
    const init = await mcpInitialize(at.p.mcpUrl, token);
    session = init.headers.get('mcp-session-id')!;
    await init.arrayBuffer();
  });

  const mcpHeaders = () => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' });

  it('POST /mcp without a session: a chunked body over 4 MiB gets a JSON-RPC 413 and the connection is closed', async () => {
    const out = await floodChunked(at.p.mcpUrl, mcpHeaders(), 64 * MiB);
    assertRefusedEarly(out, 64 * MiB, '/mcp');
    assertJsonRpc413(out);
  });

  it('POST /mcp on an established session (the lean path): the same', async () => {
    const out = await floodChunked(at.p.mcpUrl, { ...mcpHeaders(), 'mcp-session-id': session }, 64 * MiB);
    assertRefusedEarly(out, 64 * MiB, '/mcp lean');
    assertJsonRpc413(out);
  });

  it('POST /mcp with a Content-Length over the limit is refused before the body is sent', async () => {
    const out = await announce(at.p.mcpUrl, mcpHeaders(), 5 * MiB);
    assert.equal(out.status, 413);
    assert.equal(out.headers.connection, 'close');
    assert.ok(out.closed);
    assertJsonRpc413(out);
  });

  for (const [path, type] of [
    ['/register', 'application/json'],
    ['/token', 'application/x-www-form-urlencoded'],
    ['/revoke', 'application/x-www-form-urlencoded'],
  ] as const) {
    it(`POST ${path}: a chunked body over its limit gets an OAuth 413 and the connection is closed`, async () => {
      const out = await floodChunked(`${at.p.issuer}${path}`, { 'content-type': type, accept: 'application/json' }, 32 * MiB);
      assertRefusedEarly(out, 32 * MiB, path);
      assertOAuth413(out);
    });
  }

  it('POST /token with a Content-Length over the limit is refused before the body is sent', async () => {
    const out = await announce(`${at.p.issuer}/token`, { 'content-type': 'application/x-www-form-urlencoded' }, 100_000);
    assert.equal(out.status, 413);
    assert.ok(out.closed);
    assertOAuth413(out);
  });

  it('POST to a sign-in form: a chunked body over its limit gets a 413 page and the connection is closed', async () => {
    const { browser, page } = await openLogin(at.p, clientId);
    const action = `${page.url}/login`;
    const out = await floodChunked(action, { 'content-type': 'application/x-www-form-urlencoded', cookie: browser.jar.header(action) }, 32 * MiB);
    assertRefusedEarly(out, 32 * MiB, 'sign-in form');
    assertPage413(out);
  });

  it('POST /account/withdraw while signed in: the same', async () => {
    const browser = new TestBrowser();
    const login = await browser.go(`${at.p.issuer}/account`);
    const account = await browser.submit(login, '/login', { username: 'admin', password: at.p.password });
    assert.match(account.html, /Connected apps/);
    const url = `${at.p.issuer}/account/withdraw`;
    const out = await floodChunked(url, { 'content-type': 'application/x-www-form-urlencoded', cookie: browser.jar.header(url) }, 32 * MiB);
    assertRefusedEarly(out, 32 * MiB, '/account/withdraw');
    assertPage413(out);
  });

  it('nothing of this was logged as an error, and Postern still serves', async () => {
    assert.deepEqual(log.errors, []);
    assert.equal((await register(at.p.issuer)).status, 201);
    const res = await mcpInitialize(at.p.mcpUrl, token);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  });
});

describe('the /mcp body limit is configurable', () => {
  const at = usePostern({ config: { server: { port: 0, mcpBodyLimit: 64 * 1024 } } });

  it('server.mcpBodyLimit sets the /mcp limit', async () => {
    const { tokens } = await fullFlow(at.p.issuer, at.p.mcpUrl, at.p.password);
    const headers = { authorization: `Bearer ${tokens.body.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const out = await floodChunked(at.p.mcpUrl, headers, 16 * MiB);
    assertRefusedEarly(out, 16 * MiB, '/mcp');
    assert.match(JSON.parse(out.body).error.message, /larger than 65536 bytes/);
  });
});
