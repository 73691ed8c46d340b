// A 2026-07-28 client calling a 2025-era backend (the stdio conformance fixture) that asks for
// elicitation or sampling in the middle of a call: the gateway never sends the client a request
// of its own on the response stream; it answers input_required and keeps the backend's call
// parked until the retry brings the answer. The requestState is single use and the caller's own;
// a request the client's capabilities do not cover ends the call with -32021 and HTTP 400; log
// messages reach a request only at the level it names, and the backend's list changes reach
// subscriptions/listen streams. The parking limits are checked on the module itself.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import type { HandlerContext } from '../src/mcp/downstream.js';
import { ParkedCalls } from '../src/mcp/parked-calls.js';
import { connectClient, modernRequest } from './helpers/mcp-http.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';
import { until } from './helpers/until.js';
import { text } from './helpers/results.js';

const FIXTURES = path.join(import.meta.dirname, '..', 'conformance', 'fixture-server.ts');
const ALICE = 'pst_parked-alice-token-0123456789abcdefghijklmn';
const BOB = 'pst_parked-bob-token-0123456789abcdefghijklmnopq';

describe('2026-era callers of a 2025-era backend that asks during a call', () => {
  let p: TestPostern;

  before(async () => {
    p = await startTestPostern({
      identity: {
        local: { enabled: false },
        staticTokens: { alice: { hash: hashStaticToken(ALICE), roles: ['user'] }, bob: { hash: hashStaticToken(BOB), roles: ['user'] } },
      },
      policy: { rules: [{ roles: ['user'], tools: ['*'], policy: 'allow' }] },
      mcpServers: { fixtures: { command: process.execPath, args: ['--import', 'tsx', FIXTURES] } },
    });
    await p.registry.waitReady(15_000);
    assert.equal(p.registry.backends.get('fixtures')!.modern, false, 'the fixture is a 2025-era backend');
  });
  after(() => p?.destroy());

  it("lets the SDK client answer the backend's elicitation and sampling in input_required rounds", async () => {
    const client = await connectClient(p.mcpUrl, ALICE, { era: 'modern', capabilities: { elicitation: {}, sampling: {} } }, (c) => {
      c.setRequestHandler('elicitation/create', async (request) => ({ action: 'accept', content: { response: `yes to ${request.params.message}` } }));
      c.setRequestHandler('sampling/createMessage', async () => ({ role: 'assistant', model: 'test', content: { type: 'text', text: 'Paris' } }));
    });
    try {
      const elicited = await client.callTool({ name: 'fixtures__test_elicitation', arguments: { message: 'proceed?' } });
      assert.equal(text(elicited), 'User response: action=accept, content={"response":"yes to proceed?"}');
      const sampled = await client.callTool({ name: 'fixtures__test_sampling', arguments: { prompt: 'capital?' } });
      assert.equal(text(sampled), 'LLM response: Paris');
    } finally {
      await client.close();
    }
  });

  it('answers with input_required instead of a request on the stream, and resumes only for the caller, once', async () => {
    const call = { name: 'fixtures__test_streaming_elicitation', arguments: {}, _meta: { progressToken: 'p1' } };
    const caps = { capabilities: { elicitation: {} } };
    const first = await modernRequest(p.mcpUrl, ALICE, 'tools/call', call, caps);
    assert.equal(first.status, 200);
    assert.deepEqual(
      first.messages.filter((m) => m.method).map((m) => m.method),
      ['notifications/progress'],
      "only notifications besides the answer: no request of the gateway's own",
    );
    const result = first.final?.result;
    assert.equal(result?.resultType, 'input_required');
    const [key, asked] = Object.entries(result.inputRequests as Record<string, { method: string; params: { message: string } }>)[0]!;
    assert.equal(asked.method, 'elicitation/create');
    assert.equal(asked.params.message, 'Please confirm');
    const retry = { ...call, inputResponses: { [key]: { action: 'accept', content: { ok: true } } }, requestState: result.requestState };

    const stolen = await modernRequest(p.mcpUrl, BOB, 'tools/call', retry, caps);
    assert.equal(stolen.final?.error?.code, -32602, 'another caller cannot resume it');
    const elsewhere = await modernRequest(p.mcpUrl, ALICE, 'tools/call', { ...retry, name: 'fixtures__test_elicitation' }, caps);
    assert.equal(elsewhere.final?.error?.code, -32602, 'nor can another tool');
    const done = await modernRequest(p.mcpUrl, ALICE, 'tools/call', retry, caps);
    assert.equal(done.final?.result?.content?.[0]?.text, 'Streaming elicitation completed: action=accept, content={"ok":true}');
    const replayed = await modernRequest(p.mcpUrl, ALICE, 'tools/call', retry, caps);
    assert.equal(replayed.final?.error?.code, -32602, 'a requestState is used once');
    assert.equal((await modernRequest(p.mcpUrl, ALICE, 'tools/call', { ...call, requestState: 'made-up' }, caps)).final?.error?.code, -32602);
  });

  it('asks again for what a retry left unanswered', async () => {
    const call = { name: 'fixtures__test_elicitation', arguments: { message: 'again?' } };
    const caps = { capabilities: { elicitation: {} } };
    const first = (await modernRequest(p.mcpUrl, ALICE, 'tools/call', call, caps)).final?.result;
    const second = (
      await modernRequest(p.mcpUrl, ALICE, 'tools/call', { ...call, inputResponses: { other: { action: 'decline' } }, requestState: first.requestState }, caps)
    ).final?.result;
    assert.equal(second?.resultType, 'input_required');
    assert.deepEqual(second.inputRequests, first.inputRequests);
    assert.notEqual(second.requestState, first.requestState);
    const key = Object.keys(first.inputRequests)[0]!;
    const done = await modernRequest(
      p.mcpUrl,
      ALICE,
      'tools/call',
      { ...call, inputResponses: { [key]: { action: 'decline' } }, requestState: second.requestState },
      caps,
    );
    assert.equal(done.final?.result?.content?.[0]?.text, 'User response: action=decline, content={}');
  });

  it('refuses a call that needs a capability the client did not declare with -32021 and HTTP 400', async () => {
    const answer = await modernRequest(
      p.mcpUrl,
      ALICE,
      'tools/call',
      { name: 'fixtures__test_missing_capability', arguments: {} },
      { capabilities: { elicitation: {} } },
    );
    assert.equal(answer.status, 400);
    assert.equal(answer.final?.error?.code, -32021);
    assert.deepEqual(answer.final?.error?.data, { requiredCapabilities: { sampling: {} } });
    const url = await modernRequest(
      p.mcpUrl,
      ALICE,
      'tools/call',
      { name: 'fixtures__test_elicitation', arguments: { message: 'x' } },
      { capabilities: { elicitation: { url: {} } } },
    );
    assert.deepEqual(url.final?.error?.data, { requiredCapabilities: { elicitation: { form: {} } } }, 'a client declaring URL mode only has no forms');
  });

  it("tells a client listening on the 2026-07-28 era that the backend's tool list changed", async () => {
    const client = await connectClient(p.mcpUrl, ALICE, { era: 'modern' });
    try {
      let changed = 0;
      client.setNotificationHandler('notifications/tools/list_changed', () => void changed++);
      const subscription = await client.listen({ toolsListChanged: true });
      await client.callTool({ name: 'fixtures__test_trigger_tool_change', arguments: {} });
      await until(() => changed > 0, 5000, 'notifications/tools/list_changed on the listen stream');
      await subscription.close();
    } finally {
      await client.close();
    }
  });

  it("relays the backend's log messages only at the level the request names", async () => {
    const logs = async (logLevel?: string) =>
      (await modernRequest(p.mcpUrl, ALICE, 'tools/call', { name: 'fixtures__test_logging_tool', arguments: {} }, { logLevel })).messages
        .filter((m) => m.method === 'notifications/message')
        .map((m) => m.params.data);
    assert.deepEqual(await logs(), []);
    assert.deepEqual(await logs('info'), ['Diagnostic log message']);
    assert.deepEqual(await logs('warning'), []);
  });
});

describe('parked calls', () => {
  /** A stand-in for the SDK's handler context of one 2026-era request. */
  function ctx(requestState?: string, inputResponses?: Record<string, unknown>): HandlerContext {
    return {
      mcpReq: {
        signal: new AbortController().signal,
        envelope: { 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } },
        inputResponses,
        requestState: () => requestState,
        notify: async () => {},
        send: async () => ({}),
      },
    };
  }

  /** Starts a call whose backend asks once and then waits for its answer or its abort. */
  function asking(parked: ParkedCalls, owner = 'me') {
    const first = ctx();
    const call = parked.open(first);
    let aborted = false;
    call.signal.addEventListener('abort', () => (aborted = true));
    const backend = async () => {
      const answer = await call.request({ method: 'elicitation/create', params: { message: 'ok?', requestedSchema: { type: 'object', properties: {} } } });
      return { content: [{ type: 'text', text: JSON.stringify(answer) }] };
    };
    return { round: parked.run(call, owner, 'b\ntools/call\nt', first, backend) as Promise<Record<string, any>>, aborted: () => aborted };
  }

  it('cancels a parked call that no retry resumes in time, and forgets its state', async () => {
    const parked = new ParkedCalls({ max: 10, idleMs: 50 });
    const { round, aborted } = asking(parked);
    const result = await round;
    assert.equal(result.resultType, 'input_required');
    assert.equal(parked.size, 1);
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(aborted(), true, 'the backend call was aborted');
    assert.equal(parked.size, 0);
    await assert.rejects(
      parked.run(parked.open(ctx()), 'me', 'b\ntools/call\nt', ctx(result.requestState, { 'elicit-1': { action: 'accept' } }), async () => ({})),
      /Invalid or expired requestState/,
    );
  });

  it('keeps for the retry the outcome of a backend call that ended while parked, or forgets it when none comes', async () => {
    const parked = new ParkedCalls({ max: 10, idleMs: 100 });
    const impatient = async () => {
      const first = ctx();
      const call = parked.open(first);
      const backend = async () => {
        const asked = call.request({ method: 'elicitation/create', params: { message: 'ok?', requestedSchema: { type: 'object', properties: {} } } });
        await Promise.race([asked.catch(() => {}), new Promise((r) => setTimeout(r, 20))]);
        return { content: [{ type: 'text', text: 'gave up waiting' }] };
      };
      return (await parked.run(call, 'me', 't', first, backend)) as Record<string, any>;
    };
    const kept = await impatient();
    await new Promise((r) => setTimeout(r, 40));
    const done = (await parked.run(parked.open(ctx()), 'me', 't', ctx(kept.requestState, {}), async () => ({}))) as Record<string, any>;
    assert.equal(done.content[0].text, 'gave up waiting');
    assert.equal(parked.size, 0);
    await impatient();
    assert.equal(parked.size, 1);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(parked.size, 0, 'forgotten after the idle limit');
  });

  it('refuses to park more calls than its limit, and cancels the one refused', async () => {
    const parked = new ParkedCalls({ max: 1, idleMs: 60_000 });
    const first = asking(parked);
    assert.equal((await first.round).resultType, 'input_required');
    const second = asking(parked);
    await assert.rejects(second.round, /too many calls waiting for input/);
    assert.equal(second.aborted(), true);
    assert.equal(parked.size, 1);
    parked.close();
    assert.equal(first.aborted(), true, 'closing cancels what is parked');
  });
});
