// The access log (log.access): one line per HTTP request with its route label (never the raw
// path or query), status, duration and client address; none when it is off (the default).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { configSchema } from '../src/config/schema.js';
import { startPostern } from '../src/postern.js';
import { tempDir } from './helpers/postern.js';
import { until } from './helpers/until.js';

async function linesFor(access: boolean, requests: (base: string) => Promise<void>): Promise<Array<Record<string, any>>> {
  const lines: Array<Record<string, any>> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const dataDir = tempDir();
  const postern = await startPostern(configSchema.parse({ server: { port: 0 }, log: { access }, dataDir, mcpServers: {} }), { log });
  try {
    await requests(postern.issuer);
  } finally {
    await postern.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return lines.filter((l) => l.msg === 'request');
}

describe('the access log', () => {
  it('writes a line per request with route, status, duration and address', async () => {
    const lines = await linesFor(true, async (base) => {
      await (await fetch(`${base}/healthz`)).text();
      await (await fetch(`${base}/interaction/abc123?code=secret-value`)).text();
      await (await fetch(`${base}/mcp`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).text();
    });
    await until(() => lines.length >= 3, 2000, 'three access lines');
    const byRoute = Object.fromEntries(lines.map((l) => [l.access.route, l.access]));
    assert.equal(byRoute['/healthz'].status, 200);
    assert.equal(byRoute['/healthz'].method, 'GET');
    assert.equal(byRoute['/healthz'].address, '127.0.0.1');
    assert.equal(typeof byRoute['/healthz'].ms, 'number');
    assert.equal(byRoute['/mcp'].status, 401);
    assert.ok(byRoute['/interaction/:uid']);
    assert.doesNotMatch(JSON.stringify(lines), /abc123|secret-value/);
  });

  it('is off by default', async () => {
    const lines = await linesFor(false, async (base) => {
      await (await fetch(`${base}/healthz`)).text();
    });
    assert.deepEqual(lines, []);
  });
});
