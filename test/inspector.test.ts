// The MCP Inspector's CLI (`inspector --cli`, npm @modelcontextprotocol/inspector) against a
// running Postern with a static bearer token, in both protocol eras: tools/list and tools/call,
// and a refusal without a valid token. It runs as a child process, as a developer or CI runs it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { startTestPostern, tempDir, type TestPostern } from './helpers/postern.js';

const INSPECTOR = path.resolve(import.meta.dirname, '../node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js');
const TOKEN = `pst_inspector_${'i'.repeat(40)}`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('MCP Inspector CLI with a bearer token', () => {
  let postern: TestPostern;
  let home: string;

  before(async () => {
    postern = await startTestPostern({ identity: { staticTokens: { inspector: { hash: hashStaticToken(TOKEN) } } } });
    home = tempDir('postern-inspector-');
  });
  after(async () => {
    await postern?.destroy();
  });

  function inspector(era: 'legacy' | 'modern', token: string, method: string[]): Promise<Run> {
    const args = [
      INSPECTOR,
      '--cli',
      postern.mcpUrl,
      '--transport',
      'http',
      '--protocol-era',
      era,
      '--format',
      'json',
      '--stored-auth-only',
      '--header',
      `Authorization: Bearer ${token}`,
      ...method,
    ];
    // Its catalog, stored OAuth state and client config go to the temp HOME.
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: home,
      MCP_CATALOG_PATH: path.join(home, 'mcp.json'),
      MCP_CLIENT_CONFIG_PATH: path.join(home, 'client.json'),
    };
    return new Promise((resolve) => {
      execFile(process.execPath, args, { env, timeout: 60_000, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
      });
    });
  }

  for (const era of ['legacy', 'modern'] as const) {
    it(`lists and calls tools in the ${era === 'legacy' ? '2025-11-25' : '2026-07-28'} era`, async () => {
      const list = await inspector(era, TOKEN, ['--method', 'tools/list']);
      assert.equal(list.code, 0, list.stderr);
      const tools = JSON.parse(list.stdout).result.tools as Array<{ name: string }>;
      assert.ok(tools.some((t) => t.name === 'everything__echo'));

      const call = await inspector(era, TOKEN, ['--method', 'tools/call', '--tool-name', 'everything__echo', '--tool-arg', `message=${era}`]);
      assert.equal(call.code, 0, call.stderr);
      const result = JSON.parse(call.stdout).result;
      assert.deepEqual(result.content, [{ type: 'text', text: `Echo: ${era}` }]);
      // A 2026-07-28 result names its server in _meta; a 2025-era result does not.
      assert.equal(result._meta?.['io.modelcontextprotocol/serverInfo']?.name, era === 'modern' ? 'postern' : undefined);
    });
  }

  it('is refused with a wrong token, and does not start a sign-in', async () => {
    const run = await inspector('legacy', `${TOKEN}-wrong`, ['--method', 'tools/list']);
    assert.notEqual(run.code, 0);
    assert.equal(run.stdout, '');
    const { error } = JSON.parse(run.stderr);
    assert.equal(error.code, 'auth_required');
    assert.match(error.message, /invalid_token/);
  });
});
