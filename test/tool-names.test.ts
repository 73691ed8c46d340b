// Tool names every client accepts: a backend listing long, dotted, slashed, Unicode and colliding
// names is published with names matching ^[a-zA-Z0-9_-]{1,64}$ in both eras, each reaching its
// own backend tool (also through parked calls and input_required rounds), the same after a
// restart; policy rules match the original and the published name; `prefix: "gh"` and `rename`
// apply; prompts and their arguments, resource templates get the same treatment; collisions are
// warned about at start and `postern check` explains every changed name.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { McpServer } from '@modelcontextprotocol/server';
import type { Client } from '@modelcontextprotocol/client';
import { pino } from 'pino';
import { BackendRegistry } from '../src/backends/registry.js';
import { fitName, publishNames, type NameRequest } from '../src/backends/names.js';
import { configSchema } from '../src/config/schema.js';
import { ConfigError, loadConfig } from '../src/config/load.js';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { TOOL_NAMES } from './fixtures/names-list.js';
import { connectClient } from './helpers/mcp-http.js';
import { startTestPostern, tempDir, type TestPostern } from './helpers/postern.js';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'names-backend.ts');
const BACKEND = { command: process.execPath, args: ['--import', 'tsx', FIXTURE] };
const VALID = /^[a-zA-Z0-9_-]{1,64}$/;
const ADMIN = 'pst_names-admin-token-0123456789abcdefghijklmnopq';
const LIMITED = 'pst_names-limited-token-0123456789abcdefghijklmno';
const LONG_HEAD = 'names__a_very_long_tool_name_that_goes_on_and_on_and_on_';
const ORIGINALS = TOOL_NAMES;

const text = (result: unknown) => (result as { content: Array<{ text: string }> }).content[0]!.text;
const names = async (client: Client) => (await client.listTools()).tools.map((t) => t.name);

/** Calls every listed tool (but the one that asks) and maps its published name to the name that answered. */
async function reached(client: Client): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const name of await names(client)) {
    if (!name.endsWith('ask_user')) map.set(name, text(await client.callTool({ name, arguments: {} })));
  }
  return map;
}

describe('published names', () => {
  it('cleans, shortens with a hash of the full name, and keeps valid names as they are', () => {
    assert.deepEqual(fitName('names__ok_name'), { name: 'names__ok_name', changes: [] });
    assert.deepEqual(fitName('names__slash/name'), { name: 'names__slash_name', changes: ['sanitised'] });
    assert.equal(fitName('names__café_☕').name, 'names__caf___', 'one "_" per character, astral ones too');
    const long = fitName(`names__${ORIGINALS[0]}`);
    assert.match(long.name, /^names__a_very_long_tool_name_that_goes_on_and_on_and_on_[0-9a-f]{8}$/);
    assert.equal(long.name.length, 64);
    assert.deepEqual(long.changes, ['shortened']);
    assert.notEqual(fitName(`names__${ORIGINALS[1]}`).name, long.name);
  });

  it('settles a collision the same way whatever order the names come in', () => {
    const request = (original: string, rank = 0): NameRequest => ({ qualified: `b__${original}`, original, wanted: `b__${original}`, rank, changes: [] });
    const forward = publishNames([request('x.y'), request('x_y'), request('z')]);
    const backward = publishNames([request('z'), request('x_y'), request('x.y')]).reverse();
    assert.deepEqual(forward, backward);
    assert.equal(forward[1]!.name, 'b__x_y', 'the name the backend listed as it is keeps it');
    assert.match(forward[0]!.name, /^b__x_y_[0-9a-f]{8}$/);
    assert.equal(forward[0]!.collidedWith, 'b__x_y');
  });
});

describe('tool names through the gateway', () => {
  let p: TestPostern;

  before(async () => {
    p = await startTestPostern({
      identity: {
        staticTokens: { admin: { hash: hashStaticToken(ADMIN), roles: ['admin'] }, limited: { hash: hashStaticToken(LIMITED), roles: ['limited'] } },
      },
      policy: {
        rules: [
          // The backend's name, the published name, and a custom prefix's published name.
          { roles: ['limited'], tools: ['names__dotted.name', 'names__slash_name', 'gh__ok_name'], policy: 'allow' },
          { roles: ['admin'], tools: ['*'], policy: 'allow' },
        ],
      },
      mcpServers: {
        names: { ...BACKEND, rename: { create_or_update_file: 'put_file' } },
        other: { ...BACKEND, prefix: 'gh' },
      },
    });
    await p.registry.waitReady(60_000); // the fixture starts through tsx: slow on a busy machine
  });
  after(() => p?.destroy());

  for (const era of ['legacy', 'modern'] as const) {
    it(`lists only valid names, each reaching its own backend tool (${era} era)`, async () => {
      const client = await connectClient(p.mcpUrl, ADMIN, { era });
      try {
        const listed = await names(client);
        assert.equal(listed.length, ORIGINALS.length * 2);
        for (const name of listed) assert.match(name, VALID);
        assert.equal(new Set(listed).size, listed.length);
        const map = await reached(client);
        for (const prefix of ['names__', 'gh__']) {
          const own = [...map].filter(([name]) => name.startsWith(prefix)).map(([, original]) => original);
          assert.deepEqual(own.sort(), ORIGINALS.filter((o) => o !== 'ask.user').sort(), `${prefix}: every tool reached once`);
        }
        assert.equal(map.get('names__dotted_name'), 'dotted_name');
        assert.match([...map].find(([, o]) => o === 'dotted.name')![0], /^names__dotted_name_[0-9a-f]{8}$/);
        assert.equal(map.get('names__slash_name'), 'slash/name');
        assert.equal(map.get('names__caf___'), 'café_☕');
        assert.equal(map.get('names__put_file'), 'create_or_update_file');
        assert.equal(map.get('gh__create_or_update_file'), 'create_or_update_file');
        assert.equal(map.get('gh__ok_name'), 'ok_name');
        const long = [...map].filter(([name]) => name.startsWith(LONG_HEAD));
        assert.equal(long.length, 2);
        for (const [name] of long) assert.equal(name.length, 64);
      } finally {
        await client.close();
      }
    });

    it(`routes a call that asks the user back to its tool (${era} era)`, async () => {
      const client = await connectClient(p.mcpUrl, ADMIN, { era, capabilities: { elicitation: {} } }, (c) => {
        c.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { who: `Ada via ${era}` } }));
      });
      try {
        assert.equal(text(await client.callTool({ name: 'names__ask_user', arguments: {} })), `ask.user: Ada via ${era}`);
      } finally {
        await client.close();
      }
    });
  }

  it("routes a plain call on an established session's lean path", async () => {
    const base = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const post = (headers: Record<string, string>, body: unknown) => fetch(p.mcpUrl, { method: 'POST', headers, body: JSON.stringify(body) });
    const init = await post(base, {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'names', version: '1' } },
    });
    await init.text();
    const headers = { ...base, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25' };
    await (await post(headers, { jsonrpc: '2.0', method: 'notifications/initialized' })).text();
    const res = await post(headers, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'names__slash_name', arguments: {} } });
    const body = await res.text();
    assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(body)), 'answered in one write by the lean path');
    assert.match(body, /"text":"slash\/name"/);
  });

  it('applies a policy rule written with the original name and one written with the published name', async () => {
    const client = await connectClient(p.mcpUrl, LIMITED, { era: 'legacy' });
    try {
      const listed = (await names(client)).sort();
      assert.equal(listed.length, 3, listed.join(', '));
      assert.equal(listed[0], 'gh__ok_name');
      assert.match(listed[1]!, /^names__dotted_name_[0-9a-f]{8}$/);
      assert.equal(listed[2], 'names__slash_name');
      assert.equal(text(await client.callTool({ name: listed[1]!, arguments: {} })), 'dotted.name');
      assert.equal(text(await client.callTool({ name: 'gh__ok_name', arguments: {} })), 'ok_name');
      assert.equal(text(await client.callTool({ name: 'names__slash_name', arguments: {} })), 'slash/name');
      await assert.rejects(client.callTool({ name: 'names__ok_name', arguments: {} }), /not allowed/);
      await assert.rejects(client.callTool({ name: 'names__dotted_name', arguments: {} }), /not allowed/);
    } finally {
      await client.close();
    }
    const audit = await p.store.queryAudit({});
    assert.ok(
      audit.some((e) => e.action === 'names__slash/name' && e.decision === 'allow'),
      "the audit trail records the backend's name",
    );
    assert.ok(audit.some((e) => e.action === 'names__ok_name' && e.decision === 'deny'));
  });

  it('gives prompts, prompt arguments and resource templates valid names', async () => {
    const client = await connectClient(p.mcpUrl, ADMIN, { era: 'legacy' });
    try {
      const { prompts } = await client.listPrompts();
      const greet = prompts.find((x) => x.name === 'names__greet_user');
      assert.ok(greet, prompts.map((x) => x.name).join(', '));
      assert.deepEqual(
        greet.arguments?.map((a) => a.name),
        ['user_name'],
      );
      const got = await client.getPrompt({ name: 'names__greet_user', arguments: { user_name: 'Ada' } });
      assert.equal((got.messages[0]!.content as { text: string }).text, 'greet.user {"user.name":"Ada"}');
      const { resourceTemplates } = await client.listResourceTemplates();
      assert.ok(resourceTemplates.length > 0);
      for (const t of resourceTemplates) assert.equal(t.name, 'note_by_id');
    } finally {
      await client.close();
    }
  });

  it("shows no tool-name warning from the SDK's own validation", async () => {
    const client = await connectClient(p.mcpUrl, ADMIN, { era: 'legacy' });
    const listed = await names(client);
    await client.close();
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
    try {
      const register = (name: string) => new McpServer({ name: 'check', version: '1' }).registerTool(name, { description: 'x' }, () => ({ content: [] }));
      register('names__slash/name');
      assert.ok(warnings.length > 0, 'the SDK warns about a backend name as it is');
      warnings.length = 0;
      for (const name of listed) register(name);
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(warnings, []);
  });

  it('publishes the same names after a restart', async () => {
    const client = await connectClient(p.mcpUrl, ADMIN, { era: 'legacy' });
    const before = await reached(client);
    await client.close();
    p = await p.restart();
    await p.registry.waitReady(60_000);
    const again = await connectClient(p.mcpUrl, ADMIN, { era: 'legacy' });
    try {
      assert.deepEqual([...(await reached(again))].sort(), [...before].sort());
    } finally {
      await again.close();
    }
  });
});

describe('naming at start and in `postern check`', () => {
  it('warns at start about a collision, naming both tools', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const config = configSchema.parse({ mcpServers: { names: BACKEND } });
    const registry = new BackendRegistry(config.mcpServers!, { version: 'test', log: pino({ level: 'warn' }, sink) });
    registry.start();
    try {
      await registry.waitReady(20_000);
      const warning = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.msg.includes('collide'));
      assert.ok(warning, lines.join('\n'));
      assert.equal(warning.level, 40);
      assert.match(warning.msg, /"names__dotted_name" and "names__dotted\.name"/);
    } finally {
      await registry.stop();
    }
  });

  it('lists every published name that differs, and why', () => {
    const dir = tempDir();
    const file = path.join(dir, 'names.json');
    writeFileSync(
      file,
      JSON.stringify({ dataDir: dir, mcpServers: { names: { ...BACKEND, rename: { create_or_update_file: 'put_file', missing: 'gone' } } } }),
    );
    const cli = path.resolve(import.meta.dirname, '../bin/postern.js');
    const res = spawnSync(process.execPath, [cli, 'check', '--config', file], { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 30_000 });
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /names: tool "slash\/name" is listed as "names__slash_name" \(characters outside/);
    assert.match(
      res.stdout,
      /names: tool "dotted\.name" is listed as "names__dotted_name_[0-9a-f]{8}" \(characters outside .*"names__dotted_name" would be listed under the same name/,
    );
    assert.match(res.stdout, /names: tool "a_very_long[^"]*_xyz" is listed as "names__a_very_long\w+" \(over 64 characters/);
    assert.match(res.stdout, /names: tool "create_or_update_file" is listed as "names__put_file" \(renamed in the config\)/);
    assert.match(res.stdout, /names: prompt argument "greet\.user\.user\.name" is listed as "user_name"/);
    assert.match(res.stdout, /names: rename "missing": the backend lists no tool or prompt of that name/);
    assert.doesNotMatch(res.stdout, /"ok_name"/);
  });

  it('refuses a rename to an invalid name and two backends with one prefix, naming the key', () => {
    const refused = (mcpServers: Record<string, unknown>) => {
      const dir = tempDir();
      const file = path.join(dir, 'bad.json');
      writeFileSync(file, JSON.stringify({ mcpServers }));
      try {
        loadConfig({ file, env: {} });
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        return err.message;
      }
      assert.fail('accepted');
    };
    assert.match(refused({ names: { ...BACKEND, rename: { x: 'bad.name' } } }), /mcpServers\.names\.rename\.x: use 1 to 64 letters/);
    assert.match(refused({ a: { ...BACKEND, prefix: 'gh' }, gh: BACKEND }), /mcpServers\.gh\.prefix: "gh" is already the prefix of backend "a"/);
  });
});
