// An answer on the SDK's way that comes as an SSE stream leaves with its first bytes: no status
// line and headers on their own ahead of the answer (src/edge/first-bytes.ts). Debian 12's Caddy
// (2.6) sometimes ends such a response as a complete 200 with an empty body when its upstream
// connection breaks between the headers and the body; headers and body leaving together close
// that gap. A GET stream still answers its headers at once. Seen from the wire, with a raw socket.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { openLegacySession, sseMessages } from './helpers/mcp-http.js';
import { useEverythingGateway } from './helpers/gateway.js';

const TOKEN = 'pst_first-bytes-token-0123456789abcdefghijklmn';

/** Sends a raw HTTP/1.1 request and records when each chunk of the answer arrived (ms after sending). */
function rawExchange(url: string, head: string, body = '', waitMs = 5000): Promise<Array<{ at: number; text: string }>> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Array<{ at: number; text: string }> = [];
    const socket = connect(Number(port), hostname, () => socket.write(head + body));
    const started = performance.now();
    const done = () => {
      socket.destroy();
      resolve(chunks);
    };
    socket.on('data', (c: Buffer) => {
      chunks.push({ at: performance.now() - started, text: c.toString('utf8') });
      // A complete chunked answer ends with the last chunk; a Content-Length one is read to the end.
      if (/\r\n0\r\n\r\n$/.test(chunks.map((x) => x.text).join(''))) done();
    });
    socket.on('error', reject);
    setTimeout(done, waitMs);
  });
}

describe('SSE answers leave with their first bytes', () => {
  const at = useEverythingGateway(TOKEN);

  it("a POST answered on the SDK's way sends nothing until its answer, then headers and answer together", async () => {
    const headers = await openLegacySession(at.p.mcpUrl, TOKEN);
    const { host } = new URL(at.p.mcpUrl);
    // An Origin header takes the request off the lean path (browsers get the route's CORS answer).
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'everything__trigger-long-running-operation', arguments: { duration: 0.6, steps: 1 } },
    });
    const head = [
      'POST /mcp HTTP/1.1',
      `host: ${host}`,
      `origin: http://${host}`,
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      `content-length: ${Buffer.byteLength(body)}`,
      'connection: close',
      '',
      '',
    ].join('\r\n');
    const chunks = await rawExchange(at.p.mcpUrl, head, body);
    assert.ok(chunks.length > 0, 'an answer came');
    const whole = chunks.map((c) => c.text).join('');
    assert.match(whole, /^HTTP\/1\.1 200 /);
    assert.match(whole, /content-type: text\/event-stream/i);
    assert.ok(chunks[0].at >= 500, `the first bytes came ${chunks[0].at.toFixed(0)} ms after the request, before the 600 ms call was done`);
    assert.match(chunks[0].text, /\r\n\r\n[\s\S]*data: /, 'the first bytes hold the headers and the answer');
    const events = sseMessages(whole.slice(whole.indexOf('\r\n\r\n') + 4).replace(/^[0-9a-f]+\r\n|\r\n[0-9a-f]+\r\n/gm, ''));
    assert.equal(events.at(-1)?.id, 3);
    assert.ok(events.at(-1)?.result, JSON.stringify(events.at(-1)));
  });

  it('a GET stream still answers its headers at once', async () => {
    const headers = await openLegacySession(at.p.mcpUrl, TOKEN);
    const { host } = new URL(at.p.mcpUrl);
    const head = ['GET /mcp HTTP/1.1', `host: ${host}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), 'accept: text/event-stream', '', ''].join(
      '\r\n',
    );
    const chunks = await rawExchange(at.p.mcpUrl, head, '', 1500);
    assert.ok(chunks.length > 0, 'the headers came');
    assert.ok(chunks[0].at < 1000, `headers after ${chunks[0].at.toFixed(0)} ms`);
    assert.match(chunks[0].text, /^HTTP\/1\.1 200 [\s\S]*content-type: text\/event-stream/i);
  });
});
