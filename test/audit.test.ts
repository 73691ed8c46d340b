// The audit trail: MCP calls (allowed and denied, with latency, never the arguments) and OAuth
// events (register, login ok/failed, consent, token, refresh, reuse detected), in the store and
// through `postern audit --user … --since …`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { TestBrowser } from './helpers/browser.js';
import { authorizeUrl, fullFlow, REDIRECT, register, tokenRequest } from './helpers/flow.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

const settle = () => new Promise((r) => setTimeout(r, 100));

describe('audit trail', () => {
  let p: TestPostern;
  const token = 'pst_audit-test-token-0123456789abcdefghijklmnopqrs';

  before(async () => {
    p = await startTestPostern({
      identity: { staticTokens: { ci: { hash: hashStaticToken(token), roles: ['deployer'] } } },
      policy: {
        rules: [
          { roles: ['deployer'], tools: ['everything__echo'], policy: 'allow' },
          { roles: ['admin'], tools: ['*'], policy: 'allow' },
        ],
      },
    });
  });
  after(() => p.destroy());

  it('records allowed and denied tool calls, without their arguments', async () => {
    const client = new Client({ name: 'ci', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(p.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    try {
      await client.callTool({ name: 'everything__echo', arguments: { message: 'secret-argument-4711' } });
      await assert.rejects(client.callTool({ name: 'everything__get-sum', arguments: { a: 1, b: 2 } }));
    } finally {
      await client.close();
    }
    await settle();
    const entries = await p.store.queryAudit({ subject: 'static:ci' });
    const echo = entries.find((e) => e.action === 'everything__echo')!;
    assert.equal(echo.decision, 'allow');
    assert.equal(echo.outcome, 'ok');
    assert.equal(echo.client, 'static:ci');
    assert.equal(typeof echo.latencyMs, 'number');
    const sum = entries.find((e) => e.action === 'everything__get-sum')!;
    assert.equal(sum.decision, 'deny');
    assert.ok(!JSON.stringify(entries).includes('secret-argument-4711'), 'arguments are not recorded');
  });

  it('records OAuth events, including a failed login and refresh-token reuse', async () => {
    const { body: client } = await register(p.issuer);
    const browser = new TestBrowser();
    const page = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, client.client_id), {}, REDIRECT);
    await browser.submit(page, '/login', { username: 'admin', password: 'wrong-password' }, REDIRECT);
    const flow = await fullFlow(p.issuer, p.mcpUrl, p.password);
    const first = flow.tokens.body.refresh_token;
    await tokenRequest(p.issuer, { grant_type: 'refresh_token', refresh_token: first, client_id: flow.clientId });
    await tokenRequest(p.issuer, { grant_type: 'refresh_token', refresh_token: first, client_id: flow.clientId });
    await settle();
    const actions = (await p.store.queryAudit({})).filter((e) => e.kind === 'oauth').map((e) => `${e.action}:${e.outcome}`);
    for (const expected of ['register:ok', 'login_failed:error', 'login:ok', 'consent:ok', 'token:ok', 'refresh:ok', 'reuse_detected:error', 'revoke:ok']) {
      assert.ok(actions.includes(expected), `${expected} in ${actions.join(', ')}`);
    }
  });

  it('answers `postern audit --user … --since …`', () => {
    const cli = path.resolve(import.meta.dirname, '../scripts/postern-from-source.js');
    const res = spawnSync(process.execPath, [cli, 'audit', '--user', 'static:ci', '--since', '1h'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, POSTERN_DATA_DIR: p.dataDir },
    });
    assert.equal(res.status, 0, res.stderr);
    const lines = res.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0], /\tmcp\teverything__get-sum\tstatic:ci\tstatic:ci\tdeny\terror\t/);
    assert.match(lines[1], /\tmcp\teverything__echo\tstatic:ci\tstatic:ci\tallow\tok\t\d+ms/);
    const bad = spawnSync(process.execPath, [cli, 'audit', '--since', 'yesterday'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, POSTERN_DATA_DIR: p.dataDir },
    });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--since "yesterday"/);
  });
});
