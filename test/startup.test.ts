// The port is bound before the parts behind it exist (the issuer URL needs the port): a request in
// that window gets 503 with Retry-After instead of hanging, and the real handler takes over after.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listen, serveWith } from '../src/edge/server.js';

describe('start-up window', () => {
  it('answers 503 "starting" until the request handler is in place, then only the handler answers', async () => {
    const { server, port } = await listen('127.0.0.1', 0);
    try {
      const early = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
      assert.equal(early.status, 503);
      assert.equal(early.headers.get('retry-after'), '1');
      assert.deepEqual(await early.json(), { status: 'starting' });
      serveWith(server, (_req, res) => res.end('ready'));
      const later = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
      assert.equal(later.status, 200);
      assert.equal(await later.text(), 'ready');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
