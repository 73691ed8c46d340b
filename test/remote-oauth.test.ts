// Per-user OAuth to a remote MCP server (`auth: oauth`): a second Postern is the remote,
// OAuth-protected server; the gateway Postern aggregates it. Users link on /account, each one's
// calls reach the remote as that user, short-lived remote tokens are refreshed (with rotation),
// a grant the remote ends asks the user to reconnect, and disconnecting revokes at the remote.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, ProtocolError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { revokeGrant } from '../src/oauth/middleware.js';
import { TestBrowser } from './helpers/browser.js';
import { connectWithOAuth, MemoryOAuthProvider, type Era } from './helpers/oauth-client.js';
import { LogCapture, type TestPostern } from './helpers/postern.js';
import { linkAtRemote, linksOf, signInToAccount, startGateway, startRemote, type Person, PEOPLE } from './helpers/remote-link.js';
import { text } from './helpers/results.js';
import { until } from './helpers/until.js';

const ECHO = 'tracker__everything__echo';

describe('per-user OAuth backends', () => {
  let remote: TestPostern;
  let gw: TestPostern;
  const { alice, bob, aliceRemote, bobRemote } = PEOPLE;
  const clients: Client[] = [];
  const capture = new LogCapture();
  /** Every remote token the gateway held during the run, to look for in its logs. */
  const seen = new Set<string>();

  const providers = new Map<string, MemoryOAuthProvider>();

  /** The gateway's MCP client for `user` (signed in through the gateway's own pages once). */
  async function mcpFor(user: Person, era: Era = 'legacy'): Promise<Client> {
    const provider = providers.get(user.username) ?? new MemoryOAuthProvider();
    providers.set(user.username, provider);
    const { client } = await connectWithOAuth(gw.mcpUrl, provider, user, era);
    clients.push(client);
    return client;
  }

  async function linkFor(user: Person, remoteUser: Person, backend = 'tracker') {
    const { browser, page } = await signInToAccount(gw.issuer, user);
    const done = await linkAtRemote(browser, page, backend, remoteUser);
    return { browser, done };
  }

  /** What the remote's audit trail says about calls of `remoteUser`. */
  async function remoteCalls(remoteUser: Person) {
    return (await remote.store.queryAudit({ subject: `local:${remoteUser.username}` })).filter((e) => e.kind === 'mcp');
  }

  const links = () => {
    const store = linksOf(gw);
    return {
      get: async (subject: string, backend: string) => {
        const link = await store.get(subject, backend);
        for (const t of [link?.accessToken, link?.refreshToken]) if (t) seen.add(t);
        return link;
      },
    };
  };

  before(async () => {
    remote = await startRemote([aliceRemote, bobRemote], { auth: { accessTokenTtl: 4 } });
    gw = await startGateway([alice, bob], remote.mcpUrl, {}, {}, { capture });
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await gw?.destroy();
    await remote?.destroy();
  });

  it('before linking, a user sees only tracker__connect, and a call answers with the link', async () => {
    const client = await mcpFor(bob);
    const { tools } = await client.listTools(undefined, { cacheMode: 'bypass' } as never);
    const names = tools.map((t) => t.name).filter((n) => n.startsWith('tracker__'));
    assert.deepEqual(names, ['tracker__connect']);
    const result = await client.callTool({ name: 'tracker__connect', arguments: {} });
    assert.equal(result.isError, true);
    assert.match(text(result), new RegExp(`${gw.issuer}/account\\?connect=tracker`));
    const echo = await client.callTool({ name: ECHO, arguments: { message: 'hi' } });
    assert.equal(echo.isError, true, 'a call to any of its tools asks for the link too');
    assert.match(text(echo), /connect your tracker account/i);
    // The link, opened signed out, leads through sign-in to the page that asks for tracker.
    const browser = new TestBrowser();
    const login = await browser.go(`${gw.issuer}/account?connect=tracker`);
    const page = await browser.submit(login, '/login', { ...bob });
    assert.equal(new URL(page.url).search, '?connect=tracker');
    assert.match(page.html, /An app asked for tracker/);
  });

  it('two users link separately; each one reaches the remote as themselves', async () => {
    const a = await linkFor(alice, aliceRemote);
    assert.match(a.done.html, /Connected servers/);
    assert.match(a.done.html, /tracker<\/strong> <span class="muted">Connected</);
    await linkFor(bob, bobRemote);

    const aliceMcp = await mcpFor(alice);
    const bobMcp = await mcpFor(bob);
    const listed = (await aliceMcp.listTools()).tools.map((t) => t.name);
    assert.ok(listed.includes(ECHO), `the remote's tools are listed for a linked user: ${listed.join(', ')}`);
    assert.ok(!listed.includes('tracker__connect'));

    const before = { alice: (await remoteCalls(aliceRemote)).length, bob: (await remoteCalls(bobRemote)).length };
    const ra = await aliceMcp.callTool({ name: ECHO, arguments: { message: 'from alice' } });
    assert.equal(ra.isError ?? false, false, text(ra));
    assert.match(text(ra), /from alice/);
    const rb = await bobMcp.callTool({ name: ECHO, arguments: { message: 'from bob' } });
    assert.match(text(rb), /from bob/);
    await until(
      async () => (await remoteCalls(aliceRemote)).length > before.alice && (await remoteCalls(bobRemote)).length > before.bob,
      10_000,
      'the remote audit lines',
    );
    const aliceLines = await remoteCalls(aliceRemote);
    assert.equal(aliceLines[0].action, 'everything__echo');
    assert.equal((await remoteCalls(bobRemote))[0].action, 'everything__echo');

    // The gateway keeps the tokens sealed, and nothing of them shows in its audit trail.
    const link = await links().get('local:alice', 'tracker');
    assert.ok(link?.accessToken && link.refreshToken);
    const sealed = await gw.store.getCredential('local:alice', 'oauth:tracker');
    assert.ok(sealed && !sealed.includes(link.accessToken));
    const audit = JSON.stringify(await gw.store.queryAudit({ limit: 500 }));
    assert.ok(!audit.includes(link.accessToken) && !audit.includes(link.refreshToken!));
  });

  it('refreshes short-lived remote tokens before they expire, once for concurrent calls, rotating the refresh token', async () => {
    const client = await mcpFor(alice);
    const first = await links().get('local:alice', 'tracker');
    assert.ok(first?.expiresAt);
    // The remote's access tokens last 4 s; the gateway refreshes in the last quarter.
    await until(async () => Date.now() > first.expiresAt! - 1000, 10_000, 'the access token to near its end');
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => client.callTool({ name: ECHO, arguments: { message: `c${i}` } })));
    for (const [i, r] of results.entries()) assert.match(text(r), new RegExp(`c${i + 1}`));
    const second = await links().get('local:alice', 'tracker');
    assert.notEqual(second!.accessToken, first.accessToken);
    assert.notEqual(second!.refreshToken, first.refreshToken, 'the rotated refresh token replaced the old one');
    // A second refresh with the rotated token works too (one refresh ran: a reused token would have ended the grant).
    await until(async () => Date.now() > second!.expiresAt! - 1000, 10_000, 'the second access token to near its end');
    const again = await client.callTool({ name: ECHO, arguments: { message: 'again' } });
    assert.match(text(again), /again/);
    const third = await links().get('local:alice', 'tracker');
    assert.notEqual(third!.refreshToken, second!.refreshToken);
    assert.equal(third!.stale, undefined);
  });

  it('a grant the remote ends asks the user to connect again', async () => {
    const client = await mcpFor(bob);
    const ok = await client.callTool({ name: ECHO, arguments: { message: 'still here' } });
    assert.match(text(ok), /still here/);
    const grants = await remote.store.oidcGrantsOf(`local:${bobRemote.username}`);
    assert.ok(grants.length > 0);
    for (const g of grants) await revokeGrant(remote.store, g.id);
    const refused = await client.callTool({ name: ECHO, arguments: { message: 'after revocation' } });
    assert.equal(refused.isError, true);
    assert.match(text(refused), /account\?connect=tracker/);
    assert.ok((await links().get('local:bob', 'tracker'))?.stale, 'the link is marked stale');
    const { page } = await signInToAccount(gw.issuer, bob);
    assert.match(page.html, /Needs connecting again/);
  });

  it('asks a client that declared URL elicitation with -32042 and the link', async () => {
    const provider = providers.get(bob.username)!;
    const client = new Client({ name: 'elicits', version: '1' }, { capabilities: { elicitation: { url: {} } } });
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.mcpUrl), { authProvider: provider }));
    clients.push(client);
    const err = await client.callTool({ name: ECHO, arguments: { message: 'x' } }).then(
      () => assert.fail('expected the URL elicitation error'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ProtocolError, String(err));
    assert.equal(err.code, -32042);
    const [elicitation] = (err.data as { elicitations: Array<{ mode: string; url: string }> }).elicitations;
    assert.equal(elicitation.mode, 'url');
    assert.equal(elicitation.url, `${gw.issuer}/account?connect=tracker`);
  });

  it("serves a 2026-07-28 client too, over the user's 2025-era session with the remote", async () => {
    const client = await mcpFor(alice, 'modern');
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes(ECHO), names.join(', '));
    const r = await client.callTool({ name: ECHO, arguments: { message: 'from a 2026 client' } });
    assert.match(text(r), /from a 2026 client/);
  });

  it('disconnecting deletes the link and revokes it at the remote', async () => {
    const { browser, page } = await signInToAccount(gw.issuer, alice);
    const link = await links().get('local:alice', 'tracker');
    assert.ok(link?.refreshToken);
    const grantsBefore = await remote.store.oidcGrantsOf(`local:${aliceRemote.username}`);
    const done = await browser.submit(page, '/account/remote/tracker/disconnect');
    assert.equal(done.status, 200);
    assert.match(done.html, /tracker<\/strong> <span class="muted">Not connected</);
    assert.equal(await links().get('local:alice', 'tracker'), undefined);
    const grantsAfter = await remote.store.oidcGrantsOf(`local:${aliceRemote.username}`);
    assert.equal(grantsAfter.length, grantsBefore.length - 1, "the remote ended the link's grant");
    const client = await mcpFor(alice);
    const names = (await client.listTools()).tools.map((t) => t.name).filter((n) => n.startsWith('tracker__'));
    assert.deepEqual(names, ['tracker__connect'], 'her list is hers again at once');
  });

  it('never wrote a remote token to its log', () => {
    assert.ok(seen.size >= 4, `tokens looked for: ${seen.size}`);
    const logged = JSON.stringify(capture.lines);
    for (const token of seen) assert.ok(!logged.includes(token));
    assert.ok(capture.lines.length > 0, 'the capture saw the warnings (a refused link, a revocation)');
  });
});
