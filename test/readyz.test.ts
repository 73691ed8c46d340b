// /readyz, the readiness probe beside /healthz (liveness): 200 while the store answers and at least
// one backend is ready (or none is configured); 503 with what is missing otherwise. The store is
// PostgreSQL reached through a TCP relay this test can cut, so the store becomes unreachable and
// comes back, and the store's listening connection is opened again. The probes answer any Host.
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { send } from './helpers/http.js';
import { pgSchema, type PgSchema } from './helpers/postgres.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';
import { until } from './helpers/until.js';

/** A TCP relay to PostgreSQL that can refuse and drop every connection. */
async function relay(target: number) {
  const sockets = new Set<Socket>();
  let cut = false;
  const server = createServer((socket) => {
    if (cut) return void socket.destroy();
    const upstream = connect(target, '127.0.0.1');
    for (const s of [socket, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    cut(on: boolean) {
      cut = on;
      if (on) for (const s of sockets) s.destroy();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const readyz = async (p: TestPostern) => {
  const res = await fetch(`${p.issuer}/readyz`);
  return { status: res.status, body: await res.json() };
};

describe('/readyz', () => {
  let schema: PgSchema;
  let proxy: Awaited<ReturnType<typeof relay>>;
  let postern: TestPostern;

  before(async () => {
    schema = await pgSchema();
    const target = Number(new URL(schema.url).port || 5432);
    proxy = await relay(target);
    const url = new URL(schema.url);
    url.port = String(proxy.port);
    postern = await startTestPostern({ store: { driver: 'postgres', url: url.toString() } });
  });
  after(async () => {
    await postern?.destroy();
    await proxy?.close();
    await schema?.drop();
  });

  it('follows the store: 503 while it cannot be reached, ready again once it can', async () => {
    assert.deepEqual(await readyz(postern), { status: 200, body: { status: 'ready', store: 'ok', backends: { total: 1, ready: 1 } } });
    proxy.cut(true);
    const down = await readyz(postern);
    assert.equal(down.status, 503);
    assert.deepEqual(down.body, { status: 'not ready', store: 'unreachable', backends: { total: 1, ready: 1 } });
    assert.equal((await fetch(`${postern.issuer}/healthz`)).status, 200, 'still alive');
    proxy.cut(false);
    await until(async () => (await readyz(postern)).status === 200, 15_000, 'ready again');
  });

  it("answers the probes for any Host (a replica's own address), and nothing else", async () => {
    for (const path of ['/readyz', '/healthz']) {
      const res = await send(`${postern.issuer}${path}`, { headers: { host: '10.1.2.3:8080' } });
      assert.equal(res.status, 200, path);
    }
    const mcp = await send(`${postern.issuer}/mcp`, { method: 'POST', headers: { host: '10.1.2.3:8080', 'content-type': 'application/json' }, body: '{}' });
    assert.equal(mcp.status, 421);
  });

  it('is not ready without a ready backend, and ready with none configured', async () => {
    const failing = await startTestPostern({ mcpServers: { broken: { command: process.execPath, args: ['-e', 'process.exit(3)'] } } }, undefined, {
      backendWaitMs: 200,
    });
    const none = await startTestPostern({ mcpServers: {} });
    try {
      const r = await readyz(failing);
      assert.equal(r.status, 503);
      assert.deepEqual(r.body, { status: 'not ready', store: 'ok', backends: { total: 1, ready: 0 } });
      assert.deepEqual(await readyz(none), { status: 200, body: { status: 'ready', store: 'ok', backends: { total: 0, ready: 0 } } });
    } finally {
      await failing.destroy();
      await none.destroy();
    }
  });
});
