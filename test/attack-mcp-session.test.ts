// Attack family: MCP sessions and JSON-RPC at /mcp — a 2025 session used, streamed or ended by another user or client, unknown sessions, malformed JSON-RPC, one user opening sessions to push out others'.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fullFlow, mcpInitialize } from './helpers/flow.js';
import { jsonAnswer, usePostern } from './helpers/attack.js';
import { tokenForger } from './helpers/forge.js';
import { startTestPostern, tempDir, type TestPostern } from './helpers/postern.js';
import { ConfigError, loadConfig } from '../src/config/load.js';

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

  it("session of one user is refused to another user's token", async () => {
    await sessionNotFound(await send('POST', otherUser, rpc(3, 'tools/list')));
    await ownerStillServed();
  });

  it('session is refused to another client of the same user', async () => {
    await sessionNotFound(await send('POST', otherClient, rpc(3, 'tools/list')));
    await ownerStillServed();
  });

  it("another user cannot open the session's event stream", async () => {
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

describe('attacks on the session caps', () => {
  // Small caps, so that each is reached with a handful of sessions.
  const caps = { max: 6, perUser: 4, perClient: 2 };
  let p: TestPostern;
  /** A token of this user through this client. */
  let token: (user: string, client: string) => Promise<string>;

  before(async () => {
    p = await startTestPostern({ mcpServers: {}, mcp: { sessions: caps }, server: { port: 0, publicStatus: true } });
    const forger = await tokenForger(p);
    token = (user, client) => forger.sign({ sub: `local:${user}`, client_id: client, exp: Math.floor(Date.now() / 1000) + 600 });
  });
  after(() => p.destroy());

  /** Opens a session as this user through this client; its id. */
  async function open(user: string, client: string): Promise<string> {
    const res = await mcpInitialize(p.mcpUrl, await token(user, client));
    await res.body?.cancel();
    assert.equal(res.status, 200);
    const id = res.headers.get('mcp-session-id');
    assert.ok(id);
    return id;
  }

  /** The status of a ping on the session by its owner: 200 while it is open, 404 once it was closed. */
  async function ping(user: string, client: string, id: string): Promise<number> {
    const res = await fetch(p.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await token(user, client)}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-11-25',
        'mcp-session-id': id,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    await res.body?.cancel();
    return res.status;
  }

  /** Closes every session of the test by its owner, so the next test starts from none. */
  async function closeAll(sessions: Array<[string, string, string]>) {
    for (const [user, client, id] of sessions) {
      const res = await fetch(p.mcpUrl, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${await token(user, client)}`, 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' },
      });
      await res.body?.cancel();
    }
  }

  it("past the per-client cap only the caller's own oldest session of that client is closed", async () => {
    const bob = await open('bob', 'b1');
    const alice = [await open('alice', 'a1'), await open('alice', 'a1'), await open('alice', 'a1')];
    assert.equal(await ping('alice', 'a1', alice[0]), 404, "alice's oldest session through a1 was closed");
    assert.equal(await ping('bob', 'b1', bob), 200, 'bob keeps his session');
    for (const id of alice.slice(1)) assert.equal(await ping('alice', 'a1', id), 200);
    await closeAll([['bob', 'b1', bob], ...alice.slice(1).map((id): [string, string, string] => ['alice', 'a1', id])]);
  });

  it("past the per-user cap only the caller's own oldest session is closed, whichever client holds it", async () => {
    const bob = await open('bob', 'b1');
    const opened: Array<[string, string, string]> = [];
    for (const client of ['a1', 'a2', 'a3', 'a1', 'a2']) opened.push(['alice', client, await open('alice', client)]);
    assert.equal(await ping(...opened[0]), 404, "alice's oldest session (through a1) was closed");
    assert.equal(await ping('bob', 'b1', bob), 200, 'bob keeps his session');
    for (const session of opened.slice(1)) assert.equal(await ping(...session), 200);
    await closeAll([['bob', 'b1', bob], ...opened.slice(1)]);
  });

  it('at the total cap the user holding the most sessions loses its oldest, never a user holding fewer', async () => {
    // Bob's two sessions are the oldest of all: the globally oldest would be his.
    const bob: Array<[string, string, string]> = [
      ['bob', 'b1', await open('bob', 'b1')],
      ['bob', 'b1', await open('bob', 'b1')],
    ];
    const alice: Array<[string, string, string]> = [];
    for (const client of ['a1', 'a1', 'a2', 'a2']) alice.push(['alice', client, await open('alice', client)]);
    assert.equal((await (await fetch(`${p.issuer}/healthz`)).json()).sessions, caps.max, 'the total cap is reached');

    // Carol's first session and alice's next one each push out alice's oldest: she holds the most.
    const carol: [string, string, string] = ['carol', 'c1', await open('carol', 'c1')];
    alice.push(['alice', 'a3', await open('alice', 'a3')]);
    assert.equal(await ping(...alice[0]), 404);
    assert.equal(await ping(...alice[1]), 404);
    for (const session of [...bob, carol, ...alice.slice(2)]) assert.equal(await ping(...session), 200, session.join(' '));
    await closeAll([...bob, carol, ...alice.slice(2)]);
  });

  it('refuses caps that are not positive integers, naming the key', () => {
    const file = path.join(tempDir('postern-caps-'), 'c.json');
    writeFileSync(file, JSON.stringify({ mcp: { sessions: { perUser: 0 } } }));
    assert.throws(
      () => loadConfig({ env: {}, file }),
      (err: unknown) => err instanceof ConfigError && /mcp\.sessions\.perUser/.test(err.message),
    );
  });
});
