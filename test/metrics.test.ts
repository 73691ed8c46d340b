// /metrics after real traffic: a real OAuth flow and real tool calls to the reference "everything"
// server move the counters and histograms under the right labels; the metrics listener is the only
// open door (the main port refuses /metrics without a static token with the "metrics" role), and
// nothing is served or recorded unless configured.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/client';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { ConfigError, loadConfig } from '../src/config/load.js';
import { fullFlow, mcpInitialize, REDIRECT, refresh } from './helpers/flow.js';
import { openLogin } from './helpers/attack.js';
import { connectClient } from './helpers/mcp-http.js';
import { startTestPostern, tempDir, type TestPostern } from './helpers/postern.js';
import { scrape, sampleValue, type Sample } from './helpers/prometheus.js';
import { until } from './helpers/until.js';

const METRICS_TOKEN = 'pst_metrics-scraper-token-0123456789abcdefghijk';
const READER_TOKEN = 'pst_reader-token-without-metrics-role-0123456789';

describe('/metrics on its own listener', () => {
  let p: TestPostern;
  let client: Client;
  let metricsUrl: string;
  let samples: Sample[];

  before(async () => {
    p = await startTestPostern({
      metrics: { listen: '127.0.0.1:0' },
      policy: {
        rules: [
          { tools: ['everything__get-sum'], policy: 'deny' },
          { tools: ['*'], policy: 'allow' },
        ],
      },
    });
    await p.registry.waitReady(15_000);
    metricsUrl = `http://127.0.0.1:${p.metricsPort}/metrics`;

    // OAuth: a registration, a sign-in and a token; then a sign-in with a wrong password.
    const { clientId, tokens } = await fullFlow(p.issuer, p.mcpUrl, p.password);
    const { browser, page } = await openLogin(p, clientId);
    const failed = await browser.submit(page, '/login', { username: 'admin', password: 'wrong password' }, REDIRECT);
    assert.match(failed.html, /Sign in/);

    // MCP: three allowed calls, one denied by the policy, one to a name no backend lists.
    client = await connectClient(p.mcpUrl, tokens.body.access_token, { era: 'legacy' });
    for (let i = 0; i < 3; i++) await client.callTool({ name: 'everything__echo', arguments: { message: `hi ${i}` } });
    await assert.rejects(client.callTool({ name: 'everything__get-sum', arguments: { a: 1, b: 2 } }), /not allowed/);
    const unknown = await client.callTool({ name: 'everything__no-such-tool-1f3a' });
    assert.equal(unknown.isError, true);
    const refused = await mcpInitialize(p.mcpUrl, 'not-a-valid-token');
    assert.equal(refused.status, 401);
    await refused.body?.cancel();

    // A refresh, then the old refresh token again: reuse (which ends the grant, so it comes last).
    const refreshed = await refresh(p.issuer, clientId, tokens.body.refresh_token);
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal((await refresh(p.issuer, clientId, tokens.body.refresh_token)).status, 400);
    samples = await scrape(metricsUrl);
  });
  after(async () => {
    await client?.close();
    await p?.destroy();
  });

  it('counts tool calls by backend, tool and outcome, with a duration histogram', () => {
    assert.equal(sampleValue(samples, 'postern_mcp_tool_calls_total', { backend: 'everything', tool: 'echo', outcome: 'ok' }), 3);
    assert.equal(sampleValue(samples, 'postern_mcp_tool_call_duration_seconds_count', { backend: 'everything', tool: 'echo' }), 3);
    assert.ok(sampleValue(samples, 'postern_mcp_tool_call_duration_seconds_sum', { backend: 'everything', tool: 'echo' })! > 0);
    assert.equal(sampleValue(samples, 'postern_mcp_tool_call_duration_seconds_bucket', { backend: 'everything', tool: 'echo', le: '+Inf' }), 3);
    assert.equal(sampleValue(samples, 'postern_mcp_tool_calls_total', { backend: 'everything', tool: 'get-sum', outcome: 'denied' }), 1);
    // A name in no backend's list is not a label value of its own.
    assert.equal(sampleValue(samples, 'postern_mcp_tool_calls_total', { backend: 'everything', tool: 'unknown', outcome: 'error' }), 1);
    assert.ok(!samples.some((s) => s.labels.tool === 'no-such-tool-1f3a'));
  });

  it('counts HTTP requests by route and status, never by raw path', async () => {
    assert.ok(sampleValue(samples, 'postern_http_requests_total', { route: '/mcp', status: '200' })! >= 4);
    assert.ok(sampleValue(samples, 'postern_http_requests_total', { route: '/mcp', status: '401' })! >= 1);
    assert.equal(sampleValue(samples, 'postern_http_requests_total', { route: '/register', status: '201' }), 1);
    assert.ok(sampleValue(samples, 'postern_http_request_duration_seconds_count', { route: '/token' })! >= 3);
    assert.ok(sampleValue(samples, 'postern_http_requests_total', { route: '/interaction/:uid', status: '200' })! >= 1);
    await (await fetch(`${p.issuer}/no/such/path/${'x'.repeat(40)}`)).text();
    const after = await scrape(metricsUrl);
    assert.ok(sampleValue(after, 'postern_http_requests_total', { route: 'other', status: '404' })! >= 1);
    assert.ok(!after.some((s) => s.labels.route?.includes('no/such')));
  });

  it('counts token verifications: a miss, then hits from the cache, and refusals', () => {
    assert.ok(sampleValue(samples, 'postern_token_verifications_total', { result: 'miss' })! >= 1);
    assert.ok(sampleValue(samples, 'postern_token_verifications_total', { result: 'hit' })! >= 5);
    assert.equal(sampleValue(samples, 'postern_token_verifications_total', { result: 'refused' }), 1);
  });

  it('counts OAuth events: registration, sign-in, tokens issued and refreshed, refresh reuse', () => {
    assert.equal(sampleValue(samples, 'postern_oauth_events_total', { event: 'registration' }), 1);
    assert.equal(sampleValue(samples, 'postern_oauth_events_total', { event: 'sign_in' }), 1);
    assert.equal(sampleValue(samples, 'postern_oauth_events_total', { event: 'token_issued' }), 1);
    assert.equal(sampleValue(samples, 'postern_oauth_events_total', { event: 'token_refreshed' }), 1);
    assert.equal(sampleValue(samples, 'postern_oauth_events_total', { event: 'refresh_reuse_detected' }), 1);
    assert.equal(sampleValue(samples, 'postern_oauth_events_total', { event: 'sign_in_failed' }), 1);
    assert.equal(sampleValue(samples, 'postern_oauth_events_total', { event: 'consent_denied' }), 0);
  });

  it('reports backends up, open sessions, store latency and process metrics', () => {
    assert.equal(sampleValue(samples, 'postern_backend_up', { backend: 'everything' }), 1);
    assert.equal(sampleValue(samples, 'postern_mcp_sessions_open'), 1);
    assert.ok(sampleValue(samples, 'postern_store_operation_duration_seconds_count', { operation: 'oidcFind' })! > 0);
    assert.ok(sampleValue(samples, 'postern_store_operation_duration_seconds_count', { operation: 'addAudit' })! > 0);
    assert.ok(sampleValue(samples, 'process_cpu_seconds_total')! > 0);
    assert.ok(sampleValue(samples, 'nodejs_eventloop_lag_seconds') !== undefined);
    assert.ok(samples.some((s) => s.name === 'postern_build_info' && s.value === 1));
  });

  it('counts a backend restart and shows it down while it is gone', async () => {
    const backend = p.registry.backends.get('everything')!;
    const pid = (backend as unknown as { client?: { transport?: { pid?: number | null } } }).client?.transport?.pid;
    assert.ok(pid, 'the stdio backend has a process');
    process.kill(pid, 'SIGKILL');
    await until(async () => sampleValue(await scrape(metricsUrl), 'postern_backend_up', { backend: 'everything' }) === 0, 10_000, 'the backend to be down');
    await until(async () => backend.state === 'ready', 20_000, 'the backend to come back');
    const after = await scrape(metricsUrl);
    assert.equal(sampleValue(after, 'postern_backend_restarts_total', { backend: 'everything' }), 1);
    assert.equal(sampleValue(after, 'postern_backend_up', { backend: 'everything' }), 1);
  });

  it('exposes every metric that the docs, the Grafana dashboard and the alert rules name', async () => {
    const docs = ['observability.md', 'grafana-dashboard.json'].map((f) => readFileSync(path.join(import.meta.dirname, '../docs', f), 'utf8')).join('\n');
    const named = new Set([...docs.matchAll(/\b(?:postern|process|nodejs)_[a-z0-9_]*[a-z0-9]\b/g)].map((m) => m[0]));
    assert.ok(named.size >= 15, [...named].join(' '));
    const exposed = new Set((await scrape(metricsUrl)).map((s) => s.name));
    const missing = [...named].filter((n) => !exposed.has(n) && ![...exposed].some((e) => e.startsWith(`${n}_`)));
    assert.deepEqual(missing, []);
  });

  it('is not served on the main port', async () => {
    const res = await fetch(`${p.issuer}/metrics`);
    assert.equal(res.status, 404);
    assert.doesNotMatch(await res.text(), /postern_/);
  });

  it('serves only /metrics on the metrics listener', async () => {
    const res = await fetch(`http://127.0.0.1:${p.metricsPort}/mcp`);
    assert.equal(res.status, 404);
    await res.text();
    const post = await fetch(metricsUrl, { method: 'POST' });
    assert.equal(post.status, 405);
    await post.text();
  });
});

describe('/metrics on the main port (metrics.onMainPort)', () => {
  let p: TestPostern;

  before(async () => {
    p = await startTestPostern({
      metrics: { onMainPort: true },
      identity: {
        staticTokens: {
          prometheus: { hash: hashStaticToken(METRICS_TOKEN), roles: ['metrics'] },
          reader: { hash: hashStaticToken(READER_TOKEN), roles: ['reader'] },
        },
      },
      mcpServers: {},
    });
  });
  after(async () => {
    await p?.destroy();
  });

  it('is refused without a token, with a token of another role, and with an OAuth access token', async () => {
    const bare = await fetch(`${p.issuer}/metrics`);
    assert.equal(bare.status, 401);
    assert.match(bare.headers.get('www-authenticate') ?? '', /^Bearer realm="metrics"/);
    assert.doesNotMatch(await bare.text(), /postern_/);
    const reader = await fetch(`${p.issuer}/metrics`, { headers: { authorization: `Bearer ${READER_TOKEN}` } });
    assert.equal(reader.status, 403);
    assert.doesNotMatch(await reader.text(), /postern_/);
    const { tokens } = await fullFlow(p.issuer, p.mcpUrl, p.password);
    const oauth = await fetch(`${p.issuer}/metrics`, { headers: { authorization: `Bearer ${tokens.body.access_token}` } });
    assert.equal(oauth.status, 403);
    await oauth.text();
  });

  it('is served to a static token with the "metrics" role', async () => {
    const samples = await scrape(`${p.issuer}/metrics`, { authorization: `Bearer ${METRICS_TOKEN}` });
    assert.ok(sampleValue(samples, 'postern_http_requests_total', { route: '/metrics', status: '401' })! >= 1);
    assert.ok(sampleValue(samples, 'postern_http_requests_total', { route: '/metrics', status: '403' })! >= 2);
  });

  it('needs auth: with auth disabled the config is refused, naming the key', () => {
    const file = path.join(tempDir(), 'postern.json');
    writeFileSync(file, JSON.stringify({ auth: { enabled: false }, metrics: { onMainPort: true } }));
    assert.throws(
      () => loadConfig({ env: {}, file }),
      (err: unknown) => err instanceof ConfigError && /metrics\.onMainPort: needs auth\.enabled/.test(err.message),
    );
  });
});

describe('metrics off (the default)', () => {
  it('serves no /metrics anywhere and opens no listener', async () => {
    const p = await startTestPostern({ mcpServers: {} });
    try {
      assert.equal(p.metricsPort, undefined);
      const res = await fetch(`${p.issuer}/metrics`);
      assert.equal(res.status, 404);
      assert.doesNotMatch(await res.text(), /postern_/);
    } finally {
      await p.destroy();
    }
  });
});
