// What the gateway does with a 2025-era stdio backend's tools/call result: it passes the result on
// as the backend sent it, without checking it against the result schema or the tool's output
// schema (the client that called the gateway validates what it receives). A message that is not
// JSON-RPC at all never gets this far: the SDK's stdio transport drops it.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { BackendRegistry } from '../src/backends/registry.js';
import { configSchema } from '../src/config/schema.js';

const fixture = path.resolve(import.meta.dirname, 'fixtures/raw-results-backend.mjs');

describe('tools/call results of a stdio backend', () => {
  let registry: BackendRegistry;

  before(async () => {
    const config = configSchema.parse({ mcpServers: { raw: { command: process.execPath, args: [fixture] } } });
    registry = new BackendRegistry(config.mcpServers!, { version: 'test', log: pino({ level: 'silent' }) });
    registry.start();
    await registry.waitReady(20_000);
    assert.equal(registry.backends.get('raw')?.state, 'ready');
  });
  after(() => registry.stop());

  it('passes a result on as the backend sent it, structured content and keys of its own included', async () => {
    const result = await registry.callTool('raw__mismatch', {});
    assert.deepEqual(result, { content: [{ type: 'text', text: 'n is a word' }], structuredContent: { n: 'seven' }, extra: { kept: true } });
  });
});
