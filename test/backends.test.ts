// Backends: a stdio and a streamable-HTTP MCP server (the reference "everything" server from npm)
// aggregated with prefixes; a crashed stdio backend is restarted; calls to a backend that is down
// fail fast with a clear MCP error. Auth is disabled here (loopback) to keep the focus on routing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startHttpEverything, everythingEntry } from './helpers/backends.js';
import { startTestPostern, tempDir, type TestPostern } from './helpers/postern.js';
import { until } from './helpers/until.js';
import { text } from './helpers/results.js';

const fixture = path.resolve(import.meta.dirname, 'fixtures/pid-backend.mjs');

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'backend-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

describe('backend aggregation and resilience', () => {
  let postern: TestPostern;
  let http: Awaited<ReturnType<typeof startHttpEverything>>;
  const pidFile = path.join(tempDir('postern-pid-'), 'pid');

  before(async () => {
    http = await startHttpEverything();
    postern = await startTestPostern({
      server: { port: 0, publicStatus: true },
      auth: { enabled: false },
      mcpServers: {
        local: { command: process.execPath, args: [fixture, pidFile] },
        web: { url: http.url },
        broken: { command: '/nonexistent/postern-test-binary' },
        off: { command: process.execPath, args: [everythingEntry], disabled: true },
      },
    });
  });
  after(async () => {
    await postern.destroy();
    await http.stop();
  });

  it('lists the tools of the stdio and the HTTP backend under their prefixes', async () => {
    const client = await connect(postern.mcpUrl);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes('local__echo'), names.join(','));
      assert.ok(names.includes('web__echo'), names.join(','));
      assert.ok(!names.some((n) => n.startsWith('off__') || n.startsWith('broken__')));
      assert.match(text(await client.callTool({ name: 'web__echo', arguments: { message: 'via http' } })), /via http/);
      assert.match(text(await client.callTool({ name: 'local__echo', arguments: { message: 'via stdio' } })), /via stdio/);
    } finally {
      await client.close();
    }
  });

  it('answers a call to a backend that is down with a clear error, at once', async () => {
    const client = await connect(postern.mcpUrl);
    try {
      const started = Date.now();
      await assert.rejects(client.callTool({ name: 'broken__anything', arguments: {} }), (err: Error & { code?: number }) => {
        assert.equal(err.code, -32603);
        assert.match(err.message, /backend "broken" is unavailable/);
        return true;
      });
      assert.ok(Date.now() - started < 2000, 'no hang');
      await assert.rejects(client.callTool({ name: 'nosuch__tool', arguments: {} }), /unknown tool "nosuch__tool"/);
      await assert.rejects(client.callTool({ name: 'noprefix', arguments: {} }), /unknown tool/);
    } finally {
      await client.close();
    }
    const health = await (await fetch(`${postern.issuer}/healthz`)).json();
    const broken = health.backends.find((b: { name: string }) => b.name === 'broken');
    assert.equal(broken.state, 'down');
    assert.match(broken.error, /ENOENT|spawn/);
  });

  it('restarts a crashed stdio backend and serves it again', async () => {
    const client = await connect(postern.mcpUrl);
    try {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      process.kill(pid, 'SIGKILL');
      // While it is down, calls fail fast with the backend named.
      await until(() => postern.registry.backends.get('local')!.state !== 'ready', 5000, 'the crash to be noticed');
      await assert.rejects(client.callTool({ name: 'local__echo', arguments: { message: 'x' } }), /backend "local" is unavailable/);
      await until(() => postern.registry.backends.get('local')!.state === 'ready', 15_000, 'the backend to come back');
      assert.notEqual(Number(readFileSync(pidFile, 'utf8')), pid, 'a new process');
      assert.match(text(await client.callTool({ name: 'local__echo', arguments: { message: 'back' } })), /back/);
    } finally {
      await client.close();
    }
  });

  it('notices an HTTP backend that went away and reconnects when it is back', async () => {
    const client = await connect(postern.mcpUrl);
    try {
      await http.stop();
      await assert.rejects(client.callTool({ name: 'web__echo', arguments: { message: 'x' } }), /backend "web" is unavailable/);
      assert.equal(postern.registry.backends.get('web')!.state, 'down');
      const names = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(!names.includes('web__echo'), "a down backend's tools leave the list");
    } finally {
      await client.close();
    }
  });
});
