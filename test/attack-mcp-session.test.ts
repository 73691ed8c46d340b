// Attack family: MCP sessions and JSON-RPC at /mcp — a 2025 session used, streamed or ended by another user or client, unknown sessions, malformed JSON-RPC.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { fullFlow, mcpInitialize } from './helpers/flow.js';
import { jsonAnswer, usePostern } from './helpers/attack.js';
import { tokenForger } from './helpers/forge.js';

const rpc = (id: number, method: string, params?: unknown) => JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });

describe('attacks on MCP sessions and JSON-RPC', () => {
  const at = usePostern({ withBackends: true });
  /** The owner's token and its open, initialized 2025 session. */
  let owner: string;
  let session: string;
  /** Same user, another client: a real token from the flow. */
  let otherClient: string;
  /** Another user: a token our key signed for local:mallory. */
  let otherUser: string;

  before(async () => {
    const { p } = at;
    owner = (await fullFlow(p.issuer, p.mcpUrl, p.password)).tokens.body.access_token;
    otherClient = (await fullFlow(p.issuer, p.mcpUrl, p.password)).tokens.body.access_token;
    otherUser = await (await tokenForger(p)).sign({ sub: 'local:mallory' });
    const init = await mcpInitialize(p.mcpUrl, owner);
    session = init.headers.get('mcp-session-id')!;
    await init.body?.cancel();
    assert.ok(session);
    const initialized = await send('POST', owner, '{"jsonrpc":"2.0","method":"notifications/initialized"}');
    await initialized.body?.cancel();
  });

  function send(method: string, token: string, body?: string, sessionId: string | undefined = session) {
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
    };
    if (sessionId) headers['mcp-session-id'] = sessionId;
    return fetch(at.p.mcpUrl, { method, headers, body });
  }

  /** 404 with the JSON-RPC "session not found" error and nothing of the session's content. */
  async function sessionNotFound(res: Response) {
    assert.equal(res.status, 404);
    const { body } = await jsonAnswer(res);
    assert.equal((body.error as { code: number }).code, -32001);
    assert.equal(body.result, undefined);
    assert.doesNotMatch(JSON.stringify(body), /"tools"|everything__/);
  }

  async function ownerStillServed() {
    const res = await send('POST', owner, rpc(9, 'tools/list'));
    assert.equal(res.status, 200, 'the owner keeps the session');
    assert.match(await res.text(), /everything__echo/);
  }

  it('session of one user is refused to another user\'s token', async () => {
    await sessionNotFound(await send('POST', otherUser, rpc(3, 'tools/list')));
    await ownerStillServed();
  });

  it('session is refused to another client of the same user', async () => {
    await sessionNotFound(await send('POST', otherClient, rpc(3, 'tools/list')));
    await ownerStillServed();
  });

  it('another user cannot open the session\'s event stream', async () => {
    await sessionNotFound(await send('GET', otherUser));
    await ownerStillServed();
  });

  it('another user cannot end the session', async () => {
    await sessionNotFound(await send('DELETE', otherUser));
    await ownerStillServed();
  });

  it('made-up session id is refused', async () => {
    await sessionNotFound(await send('POST', owner, rpc(3, 'tools/list'), '00000000-0000-0000-0000-000000000000'));
  });

  it('call to an unknown tool is a JSON-RPC error inside the session, not a crash', async () => {
    const res = await send('POST', owner, rpc(2, 'tools/call', { name: 'nope__x', arguments: {} }));
    assert.equal(res.status, 200);
    assert.match(await res.text(), /"code":-32602/);
  });

  it('unparseable JSON is answered with a JSON-RPC parse error', async () => {
    const { status, body } = await jsonAnswer(await send('POST', owner, '{not json', undefined));
    assert.equal(status, 400);
    assert.equal((body.error as { code: number }).code, -32700);
  });

  it('JSON that is not a JSON-RPC message is answered with invalid request', async () => {
    for (const text of ['42', 'null', '"x"', '[]', '{}', '{"jsonrpc":"2.0","id":1}', '{"jsonrpc":"1.0","id":1,"method":"tools/list"}']) {
      const { status, body } = await jsonAnswer(await send('POST', owner, text, undefined));
      assert.equal(status, 400, text);
      assert.equal((body.error as { code: number }).code, -32600, text);
      assert.equal(body.result, undefined);
    }
  });
});
