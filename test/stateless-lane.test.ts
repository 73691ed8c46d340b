// The lean path of a 2026-07-28 stateless tools/call (src/mcp/stateless-lane.ts), seen from the
// wire: every request is sent twice, once with the lean path on and once with it off (the SDK's
// createMcpHandler answers), and the two answers must agree — status, content type, the JSON-RPC
// messages — while the lean path's counter says which of the requests it took. Behind it, the
// reference "everything" server over streamable HTTP, and a per-user OAuth backend nobody linked.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { statelessLane } from '../src/mcp/stateless-lane.js';
import { startHttpEverything } from './helpers/backends.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';
import { LOOPBACK } from './helpers/remote-link.js';

const TOKEN = 'pst_stateless-lane-token-0123456789abcdefghijk';
const INTERN = 'pst_stateless-lane-intern-0123456789abcdefghij';
const MODERN = '2026-07-28';
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'lane-test', version: '1' },
};

interface Answer {
  status: number;
  contentType: string | null;
  /** The JSON body, or the JSON-RPC messages of an SSE body. */
  body: unknown;
}

/** The JSON-RPC messages of an SSE body, in order. */
const events = (body: string) =>
  body
    .split('\n\n')
    .map((block) => block.split('\n').find((line) => line.startsWith('data: ')))
    .filter((line): line is string => line !== undefined)
    .map((line) => JSON.parse(line.slice('data: '.length)));

const headersFor = (name: string, token = TOKEN): Record<string, string> => ({
  authorization: `Bearer ${token}`,
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': MODERN,
  'mcp-method': 'tools/call',
  'mcp-name': name,
});

const callBody = (id: number | string, name: string, args: Record<string, unknown>, meta: Record<string, unknown> = {}) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, _meta: { ...ENVELOPE, ...meta } } });

describe('the lean path of a 2026-07-28 stateless tools/call', () => {
  let backend: Awaited<ReturnType<typeof startHttpEverything>>;
  let p: TestPostern;

  before(async () => {
    backend = await startHttpEverything();
    p = await startTestPostern({
      identity: {
        local: { enabled: false },
        staticTokens: { ci: { hash: hashStaticToken(TOKEN), roles: ['dev'] }, intern: { hash: hashStaticToken(INTERN), roles: ['intern'] } },
      },
      mcpServers: { everything: { url: backend.url }, tracker: { url: backend.url, auth: 'oauth', allowPrivateAddresses: LOOPBACK } },
      policy: {
        rules: [
          { roles: ['dev'], tools: ['everything__*', 'tracker__*', '!everything__get-env'], policy: 'allow' },
          { roles: ['intern'], tools: ['everything__echo'], policy: 'allow' },
        ],
      },
    });
    await p.registry.waitReady(15_000);
  });
  after(async () => {
    statelessLane.enabled = true;
    await p?.destroy();
    await backend?.stop();
  });

  async function post(headers: Record<string, string>, body: string): Promise<Answer> {
    const res = await fetch(p.mcpUrl, { method: 'POST', headers, body });
    const text = await res.text();
    const contentType = res.headers.get('content-type');
    const parsed = contentType?.startsWith('text/event-stream') ? events(text) : text ? JSON.parse(text) : text;
    return { status: res.status, contentType, body: parsed };
  }

  /** The answer with the lean path on and with it off; `lean` says whether the lean path took the first. */
  async function both(headers: Record<string, string>, body: string): Promise<{ lean: boolean; answer: Answer; sdk: Answer }> {
    const before = statelessLane.served;
    const answer = await post(headers, body);
    const lean = statelessLane.served > before;
    statelessLane.enabled = false;
    try {
      const served = statelessLane.served;
      const sdk = await post(headers, body);
      assert.equal(statelessLane.served, served, 'switched off, the lean path takes nothing');
      return { lean, answer, sdk };
    } finally {
      statelessLane.enabled = true;
    }
  }

  /** Sends the request both ways, asserts the same answer, and returns it. */
  async function same(headers: Record<string, string>, body: string, leanExpected: boolean): Promise<Answer> {
    const { lean, answer, sdk } = await both(headers, body);
    assert.equal(lean, leanExpected, leanExpected ? 'the lean path served it' : 'the SDK served it');
    assert.deepEqual(answer, sdk);
    return answer;
  }

  it('answers a plain call as the SDK does, in JSON', async () => {
    const answer = await same(headersFor('everything__echo'), callBody(1, 'everything__echo', { message: 'plain' }), true);
    assert.equal(answer.status, 200);
    assert.equal(answer.contentType, 'application/json');
    const result = (answer.body as { result: Record<string, any> }).result;
    assert.deepEqual(result.content, [{ type: 'text', text: 'Echo: plain' }]);
    assert.equal(result.resultType, 'complete');
    assert.equal(result._meta['io.modelcontextprotocol/serverInfo'].name, 'postern');
  });

  it('takes a string id, no client info and an empty _meta the same way', async () => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 'abc',
      method: 'tools/call',
      params: {
        name: 'everything__echo',
        arguments: { message: 'x' },
        _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } },
      },
    });
    await same(headersFor('everything__echo'), body, true);
  });

  it('streams progress ahead of the answer as the SDK does', async () => {
    const name = 'everything__trigger-long-running-operation';
    const answer = await same(headersFor(name), callBody(2, name, { duration: 0.3, steps: 3 }, { progressToken: 'mine' }), true);
    assert.equal(answer.status, 200);
    assert.equal(answer.contentType, 'text/event-stream');
    const messages = answer.body as Array<Record<string, any>>;
    assert.deepEqual(
      messages.slice(0, 3).map((m) => [m.method, m.params.progressToken, m.params.progress]),
      [1, 2, 3].map((n) => ['notifications/progress', 'mine', n]),
    );
    assert.equal(messages[3]!.id, 2);
  });

  it('refuses a tool the policy denies with the same error, and audits it', async () => {
    const started = Date.now();
    const answer = await same(headersFor('everything__get-env'), callBody(3, 'everything__get-env', {}), true);
    assert.equal((answer.body as { error: { code: number } }).error.code, -32602);
    assert.match(JSON.stringify(answer.body), /not allowed for this caller/);
    const denied = (await p.store.queryAudit({ sinceMs: started })).filter((e) => e.action === 'everything__get-env' && e.decision === 'deny');
    assert.equal(denied.length, 2, 'both ways audit the refusal');
  });

  it('judges each caller by their own roles', async () => {
    const allowed = await same(headersFor('everything__echo', INTERN), callBody(4, 'everything__echo', { message: 'intern' }), true);
    assert.equal((allowed.body as { result?: unknown }).result !== undefined, true);
    const denied = await same(headersFor('everything__add', INTERN), callBody(5, 'everything__add', { a: 1, b: 2 }), true);
    assert.equal((denied.body as { error: { code: number } }).error.code, -32602);
  });

  it('answers an unknown tool with the same error', async () => {
    const atBackend = await same(headersFor('everything__nothing-here'), callBody(6, 'everything__nothing-here', {}), true);
    assert.match(JSON.stringify(atBackend.body), /"isError":true/, 'the backend says it has no such tool');
    const nowhere = await same(headersFor('nobody__nothing'), callBody(6, 'nobody__nothing', {}), true);
    assert.equal((nowhere.body as { error: { code: number } }).error.code, -32602, 'no backend has such a tool');
  });

  it('passes an isError result on as the SDK does', async () => {
    const answer = await same(headersFor('everything__echo'), callBody(7, 'everything__echo', { message: 42 }), true);
    assert.equal((answer.body as { result: { isError?: boolean } }).result.isError, true);
  });

  it('answers a call that needs a linked account with the same tool error', async () => {
    const answer = await same(headersFor('tracker__echo'), callBody(8, 'tracker__echo', { message: 'x' }), true);
    assert.match(JSON.stringify(answer.body), /connect|Connect/);
  });

  it('answers a call that needs a linked account, for a client that declared URL elicitation, with the same error', async () => {
    const meta = { 'io.modelcontextprotocol/clientCapabilities': { elicitation: { url: {} } } };
    const answer = await same(headersFor('tracker__echo'), callBody(9, 'tracker__echo', { message: 'x' }, meta), true);
    assert.equal((answer.body as { error: { code: number } }).error.code, -32603);
  });

  it('leaves every refusal to the SDK', async () => {
    const name = 'everything__echo';
    const body = callBody(10, name, { message: 'x' });
    const cases: Array<[string, Record<string, string>, string]> = [
      ['a mismatched Mcp-Name header', { ...headersFor(name), 'mcp-name': 'everything__add' }, body],
      ['no Mcp-Name header', (({ 'mcp-name': _, ...rest }) => rest)(headersFor(name)), body],
      ['a mismatched Mcp-Method header', { ...headersFor(name), 'mcp-method': 'tools/list' }, body],
      ['a body naming another protocol version', headersFor(name), body.replace(`"${MODERN}"`, '"2026-01-01"')],
      ['a protocol version nobody serves', { ...headersFor(name), 'mcp-protocol-version': '2099-01-01' }, body.replace(`"${MODERN}"`, '"2099-01-01"')],
      ['a 2025-era protocol version header', { ...headersFor(name), 'mcp-protocol-version': '2025-11-25' }, body],
      ['no client capabilities', headersFor(name), body.replace('"io.modelcontextprotocol/clientCapabilities":{},', '')],
      [
        'malformed client capabilities',
        headersFor(name),
        body.replace('"io.modelcontextprotocol/clientCapabilities":{}', '"io.modelcontextprotocol/clientCapabilities":{"roots":5}'),
      ],
      ['malformed client info', headersFor(name), body.replace('{"name":"lane-test","version":"1"}', '{"name":"lane-test"}')],
      ['a text Content-Type', { ...headersFor(name), 'content-type': 'text/plain' }, body],
    ];
    for (const [what, headers, text] of cases) {
      const answer = await same(headers, text, false);
      assert.ok(answer.status >= 400, `${what}: refused (${answer.status})`);
    }
    const badToken = await same({ ...headersFor(name), authorization: 'Bearer pst_nobody-0123456789abcdefghijklmnopqrstu' }, body, false);
    assert.equal(badToken.status, 401);
  });

  it('leaves what it does not take to the SDK, with the same answer', async () => {
    const name = 'everything__echo';
    const extra = JSON.stringify({
      jsonrpc: '2.0',
      id: 11,
      method: 'tools/call',
      params: { name, arguments: { message: 'x' }, _meta: { ...ENVELOPE, 'example.com/trace': 'abc' } },
    });
    await same(headersFor(name), extra, false);
    const large = { 'io.modelcontextprotocol/clientCapabilities': { experimental: { big: { text: 'x'.repeat(5000) } } } };
    await same(headersFor(name), callBody(11, name, { message: 'x' }, large), false);
    const padded = { ...headersFor(name), 'mcp-protocol-version': ` ${MODERN}` };
    await same(padded, callBody(12, name, { message: 'x' }), true); // node trims header whitespace
  });

  it('cancels the backend call of a client that hangs up, as the SDK does', async () => {
    const name = 'everything__trigger-long-running-operation';
    for (const enabled of [true, false]) {
      statelessLane.enabled = enabled;
      try {
        const before = statelessLane.served;
        const started = Date.now();
        const abort = new AbortController();
        const pending = fetch(p.mcpUrl, {
          method: 'POST',
          headers: headersFor(name),
          body: callBody(13, name, { duration: 5, steps: 1 }),
          signal: abort.signal,
        });
        setTimeout(() => abort.abort(), 300);
        await assert.rejects(pending);
        let line;
        for (let i = 0; i < 60 && !line; i++) {
          await new Promise((r) => setTimeout(r, 50));
          line = (await p.store.queryAudit({ sinceMs: started })).find((e) => e.action === name);
        }
        assert.ok(line, `${enabled ? 'lean' : 'SDK'}: the call ended well before the backend would have answered`);
        assert.equal(line.outcome, 'error');
        assert.ok(line.latencyMs! < 2_500, `ended after ${line.latencyMs} ms`);
        assert.equal(statelessLane.served - before, enabled ? 1 : 0);
      } finally {
        statelessLane.enabled = true;
      }
    }
  });

  it('answers a call to a backend that is down with the same error', async () => {
    await backend.stop();
    // The registry's own message names the state of its reconnection, which moves between the two.
    const { lean, answer, sdk } = await both(headersFor('everything__echo'), callBody(14, 'everything__echo', { message: 'x' }));
    assert.equal(lean, true);
    const unavailable = (a: Answer) => {
      const { error } = a.body as { error: { code: number; message: string } };
      return { ...a, body: { ...(a.body as object), error: { ...error, message: error.message.replace(/; reconnecting.*$/, '') } } };
    };
    assert.deepEqual(unavailable(answer), unavailable(sdk));
    assert.match(JSON.stringify(answer.body), /-32603.*backend \\"everything\\" is unavailable/);
  });
});
