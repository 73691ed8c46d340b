// Attack family: slow clients (slowloris). A client that sends its request head or its body one
// byte a second, or opens a connection and says nothing, is cut off once server.timeouts allow
// (small values here); an idle keep-alive connection is closed; a long /mcp response stream is not
// a slow request and stays open past all of them.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { before, describe, it } from 'node:test';
import { fullFlow, mcpInitialize } from './helpers/flow.js';
import { usePostern } from './helpers/attack.js';
import { requestHead, trickle } from './helpers/raw-socket.js';

const TIMEOUTS = { headersMs: 1000, requestMs: 2000, keepAliveMs: 1000 };
/** How late Node may notice an expired request: its check runs every headersMs / 4. */
const SLACK = 800;

describe('slow clients', () => {
  const at = usePostern({ config: { server: { port: 0, timeouts: TIMEOUTS } } });
  let host: string;
  before(() => {
    host = new URL(at.p.issuer).host;
  });

  it('a request head sent one byte a second is cut off within server.timeouts.headersMs', async () => {
    const text = `GET /healthz HTTP/1.1\r\nhost: ${host}\r\nx-slow: ${'a'.repeat(40)}\r\n\r\n`;
    const out = await trickle(at.p.issuer, text, 1000, 6000);
    assert.ok(out.closed, 'the connection is closed');
    assert.equal(out.status, 408);
    assert.ok(out.ms <= TIMEOUTS.headersMs + SLACK, `cut after ${out.ms} ms`);
    assert.ok(out.sent < text.length, 'before the head was complete');
  });

  it('a connection that sends nothing is closed within server.timeouts.headersMs', async () => {
    const out = await trickle(at.p.issuer, '', 1000, 6000);
    assert.ok(out.closed);
    assert.ok(out.ms <= TIMEOUTS.headersMs + SLACK, `closed after ${out.ms} ms`);
  });

  it('a body sent one byte a second is cut off within server.timeouts.requestMs', async () => {
    const body = 'grant_type=authorization_code&code=xxxxxxxxxxxxxxxx';
    const head = requestHead('POST', `${at.p.issuer}/token`, { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) });
    const out = await trickle(at.p.issuer, body, 1000, 6000, head);
    assert.ok(out.closed, 'the connection is closed');
    assert.equal(out.status, 408);
    assert.ok(out.ms <= TIMEOUTS.requestMs + SLACK, `cut after ${out.ms} ms`);
    assert.ok(out.sent < body.length, 'before the body was complete');
  });

  it('an idle keep-alive connection is closed after server.timeouts.keepAliveMs', async () => {
    const started = Date.now();
    const closedAfter = await new Promise<number>((resolve, reject) => {
      const u = new URL(at.p.issuer);
      const socket = connect({ host: u.hostname, port: Number(u.port) }, () => socket.write(requestHead('GET', `${at.p.issuer}/healthz`, {})));
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('still open after 5 s'));
      }, 5000);
      let answered = 0;
      socket.on('data', () => (answered ||= Date.now()));
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(Date.now() - (answered || started));
      });
    });
    // Node keeps the socket a second longer than the Keep-Alive header announces, against races.
    assert.ok(closedAfter >= TIMEOUTS.keepAliveMs - 200 && closedAfter <= TIMEOUTS.keepAliveMs + 1000 + SLACK, `closed ${closedAfter} ms after the answer`);
  });

  it('a /mcp response stream is not cut by any of these timeouts', async () => {
    const token = (await fullFlow(at.p.issuer, at.p.mcpUrl, at.p.password)).tokens.body.access_token;
    const init = await mcpInitialize(at.p.mcpUrl, token);
    const session = init.headers.get('mcp-session-id')!;
    await init.arrayBuffer();
    const stream = await fetch(at.p.mcpUrl, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' },
    });
    assert.equal(stream.status, 200);
    const reader = stream.body!.getReader();
    let ended = false;
    void (async () => {
      while (!(await reader.read().catch(() => ({ done: true }))).done);
      ended = true;
    })();
    await new Promise((r) => setTimeout(r, TIMEOUTS.requestMs + TIMEOUTS.keepAliveMs + SLACK));
    assert.equal(ended, false, 'the stream is still open');
    await reader.cancel();
  });
});
