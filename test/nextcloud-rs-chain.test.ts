// The whole chain of Nextcloud tools in resource-server-only mode, behind the real Nextcloud 34
// and its `oidc` app, with `mcpServers.nextcloud: { builtin: nextcloud }`: the MCP SDK client
// registers at Nextcloud and alice signs in on Nextcloud's pages; her first nextcloud__files_list
// through Postern answers "connect your Nextcloud" with a ticketed link (as a tool error, and as a
// URL elicitation to a client that declared it); she opens the link and grants Login Flow v2 on
// Nextcloud's pages; the same call then lists her files. bob, opening alice's link, cannot link
// himself to her; his own calls never show her files, before or after he links his own account.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CallToolResult, Client } from '@modelcontextprotocol/client';
import { closeNextcloudPools } from '../src/nextcloud/index.js';
import { LINK_REQUIRED_META } from '../src/protocol/link-required.js';
import { TestBrowser } from './helpers/browser.js';
import { connectClient } from './helpers/mcp-http.js';
import { mintAppPassword, NC_URL, revokeAppPassword, unique } from './helpers/nextcloud-fixture.js';
import { authTokensOf, ensureNextcloud, nextcloud, type NextcloudUser } from './helpers/nextcloud.js';
import { flowEnd, grantLoginFlow, loginUrlOn } from './helpers/nextcloud-login-flow.js';
import {
  authorizeAtNextcloud,
  deleteAtNextcloud,
  NC_CALLBACK,
  pastRateLimit,
  registerAtNextcloud,
  tokensFromNextcloud,
  type RegisteredClient,
} from './helpers/nextcloud-oidc.js';
import { connectWithOAuth, MemoryOAuthProvider } from './helpers/oauth-client.js';
import { startPosternFromFile, tempDir, type TestPostern } from './helpers/postern.js';
import { text } from './helpers/results.js';

const SCOPES = ['openid', 'groups', 'mcp:tools', 'mcp:resources', 'mcp:prompts'];
const DEVICE = 'Postern MCP gateway';
const TICKETED = /^http:\/\/127\.0\.0\.1:\d+\/account\/nextcloud\?ticket=[\w.%-]+$/;

interface LinkRequired {
  service: string;
  url: string;
  stale: boolean;
}

/** nextcloud__files_list of "/" through Postern. */
const listRoot = (client: Client) => client.callTool({ name: 'nextcloud__files_list', arguments: { path: '/' } }) as Promise<CallToolResult>;

/** Asserts a "connect your Nextcloud" tool error carrying a ticketed link; returns that link. */
function linkRequired(r: CallToolResult): string {
  assert.equal(r.isError, true, `expected "connect your Nextcloud", got ${text(r)}`);
  const need = r._meta?.[LINK_REQUIRED_META] as LinkRequired | undefined;
  assert.equal(need?.service, 'Nextcloud');
  assert.equal(need?.stale, false);
  assert.match(need?.url ?? '', TICKETED);
  assert.ok(text(r).includes(`Open ${need!.url} to connect your Nextcloud account`), text(r));
  return need!.url;
}

/** Opens a link the toolset handed out in a fresh browser, starts Connect Nextcloud and grants the flow as `who`; the page it ends on. */
async function linkThrough(url: string, who: NextcloudUser) {
  const browser = new TestBrowser();
  const opened = await browser.go(url);
  assert.equal(opened.status, 200, opened.html.slice(0, 500));
  const waiting = await browser.submit(opened, '/account/nextcloud/connect');
  assert.equal(waiting.status, 200, waiting.html.slice(0, 500));
  await grantLoginFlow(loginUrlOn(waiting.html), who);
  return flowEnd(browser, new URL('/account/nextcloud/wait', url).toString());
}

const names = (r: CallToolResult) => ((r.structuredContent as { items: Array<{ path: string }> }).items ?? []).map((i) => i.path);

describe('Nextcloud tools in resource-server-only mode behind the real Nextcloud oidc app: the full chain', { timeout: 600_000 }, () => {
  let p: TestPostern;
  let alicePassword: string;
  const folder = unique('postern-rs-chain');
  const clients: RegisteredClient[] = [];
  const open: Client[] = [];

  before(async () => {
    await ensureNextcloud();
    // The configuration as a deployment writes it, loaded as `postern serve` loads it.
    const dir = tempDir();
    const file = path.join(dir, 'postern.yaml');
    writeFileSync(
      file,
      [
        'server: { port: 0 }',
        `dataDir: ${dir}/data`,
        'auth:',
        '  external:',
        `    issuer: ${nextcloud.url}`,
        '    audienceCheck: introspection',
        `    scopes: [${SCOPES.join(', ')}]`,
        '    cacheTtl: 0',
        'identity:',
        `  nextcloud: { url: ${nextcloud.url}, passwordLogin: false, timeoutMs: 30000 }`,
        'mcpServers:',
        '  nextcloud: { builtin: nextcloud }',
        '',
      ].join('\n'),
    );
    p = await startPosternFromFile(file);
    // A folder of alice's own, made straight at Nextcloud, for her listing to show.
    alicePassword = await mintAppPassword('alice');
    const made = await fetch(`${NC_URL}/remote.php/dav/files/alice/${folder}`, {
      method: 'MKCOL',
      headers: { authorization: `Basic ${Buffer.from(`alice:${alicePassword}`).toString('base64')}` },
    });
    assert.equal(made.status, 201);
  });
  after(async () => {
    for (const c of open) await c.close().catch(() => {});
    for (const subject of ['alice', 'bob']) await p?.links.remove(subject).catch(() => {});
    await p?.destroy();
    await closeNextcloudPools();
    if (alicePassword) {
      await fetch(`${NC_URL}/remote.php/dav/files/alice/${folder}`, {
        method: 'DELETE',
        headers: { authorization: `Basic ${Buffer.from(`alice:${alicePassword}`).toString('base64')}` },
      }).catch(() => {});
      await revokeAppPassword('alice', alicePassword).catch(() => {});
    }
    for (const c of clients) await deleteAtNextcloud(c).catch(() => {});
  });

  it('signs alice in at Nextcloud, sends her to Connect Nextcloud with a ticket, and then lists her files; bob gets none of it', async () => {
    // 1. The SDK client registers at Nextcloud; alice signs in on Nextcloud's pages.
    let provider = new MemoryOAuthProvider();
    const { client: alice } = await pastRateLimit(async () => {
      provider = new MemoryOAuthProvider(NC_CALLBACK, 'SDK client, Nextcloud tools');
      try {
        return await connectWithOAuth(p.mcpUrl, provider, authorizeAtNextcloud(nextcloud.alice));
      } catch (err) {
        if (/HTTP 429/.test((err as Error).message)) return 'rate-limited' as const;
        throw err;
      }
    });
    open.push(alice);
    const registered = provider.info as unknown as RegisteredClient;
    if (registered?.registration_access_token) clients.push(registered);
    const aliceToken = provider.savedTokens!.access_token;
    assert.match(aliceToken, /^[A-Za-z0-9]{72}$/, 'an opaque token from Nextcloud');
    const { tools } = await alice.listTools();
    assert.ok(
      tools.some((t) => t.name === 'nextcloud__files_list'),
      `tools: ${tools.map((t) => t.name).join()}`,
    );

    // 2. Not linked yet: a tool error with a ticketed link, and an elicitation where the client declared it.
    const firstLink = linkRequired(await listRoot(alice));
    const asked: Array<{ mode: string; url: string; message: string }> = [];
    const eliciting = await connectClient(p.mcpUrl, aliceToken, { era: 'modern', capabilities: { elicitation: { url: {} } } }, (c) =>
      c.setRequestHandler('elicitation/create', async (request) => {
        asked.push(request.params as never);
        return { action: 'accept' };
      }),
    );
    open.push(eliciting);
    const elicitedLink = linkRequired(await listRoot(eliciting));
    assert.equal(asked.length, 1, 'one elicitation');
    assert.equal(asked[0].mode, 'url');
    assert.equal(asked[0].url, elicitedLink, 'the elicitation and the tool error carry the same link');
    assert.match(asked[0].message, /Nextcloud account is not connected/);
    assert.notEqual(elicitedLink, firstLink, 'each answer carries a ticket of its own');

    // 3. bob, with his own token, opens alice's link and grants the flow as himself: refused, and
    //    the app password made for him is deleted at once.
    const app = await registerAtNextcloud({ client_name: 'Postern chain test (bob)' });
    clients.push(app);
    const bobToken = (await tokensFromNextcloud(app, nextcloud.bob, { scope: SCOPES.join(' '), resource: p.mcpUrl })).access_token;
    const bob = await connectClient(p.mcpUrl, bobToken, { era: 'legacy' });
    open.push(bob);
    const bobsLink = linkRequired(await listRoot(bob));
    const bobsBefore = new Set((await authTokensOf('bob')).map((t) => t.id));
    const refused = await linkThrough(firstLink, nextcloud.bob);
    assert.equal(refused.status, 403);
    assert.match(refused.html, /You signed in to Nextcloud as bob, but this account is alice/);
    assert.equal(await p.links.get('alice'), undefined);
    assert.equal(await p.links.get('bob'), undefined, "alice's link links nobody else either");
    assert.ok(!(await authTokensOf('bob')).some((t) => !bobsBefore.has(t.id) && t.name === DEVICE));
    linkRequired(await listRoot(alice));
    const again = await new TestBrowser().go(firstLink);
    assert.equal(again.status, 403, 'a used ticket opens nothing');

    // 4. alice opens the elicited link and grants the flow as herself: linked.
    const linked = await linkThrough(elicitedLink, nextcloud.alice);
    assert.equal(linked.status, 200, linked.html.slice(0, 500));
    assert.match(linked.html, /Linked to Nextcloud as <strong>alice<\/strong>/);

    // 5. The same call now lists alice's files, on both of her clients.
    for (const client of [alice, eliciting]) {
      const listed = await listRoot(client);
      assert.notEqual(listed.isError, true, text(listed));
      assert.ok(
        names(listed).some((n) => n.includes(folder)),
        `alice's folder is listed: ${names(listed).join(', ')}`,
      );
    }
    assert.equal(asked.length, 1, 'no more elicitations once linked');

    // 6. bob still gets "connect" and nothing of alice's; once he links himself, his own files only.
    const bobAfter = await listRoot(bob);
    linkRequired(bobAfter);
    assert.ok(!JSON.stringify(bobAfter).includes(folder));
    const bobLinked = await linkThrough(bobsLink, nextcloud.bob);
    assert.equal(bobLinked.status, 200, bobLinked.html.slice(0, 500));
    assert.match(bobLinked.html, /Linked to Nextcloud as <strong>bob<\/strong>/);
    const bobsFiles = await listRoot(bob);
    assert.notEqual(bobsFiles.isError, true, text(bobsFiles));
    assert.ok(!JSON.stringify(bobsFiles).includes(folder), "bob's listing has none of alice's files");
    const bobsTry = (await bob.callTool({ name: 'nextcloud__files_list', arguments: { path: `/${folder}` } })) as CallToolResult;
    assert.equal(bobsTry.isError, true, "alice's folder is not bob's to list");
    assert.equal((await p.links.get('alice'))?.loginName, 'alice');
    assert.equal((await p.links.get('bob'))?.loginName, 'bob');
  });
});
