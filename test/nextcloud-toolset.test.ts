// The Nextcloud toolset wired into Postern as a built-in backend (`builtin: nextcloud`), against
// the real Nextcloud test server: each caller acts as themselves with their own link, bob can
// neither see nor change alice's files, notes, events or cards through Postern, a caller without
// a link is sent to /account/nextcloud (URL elicitation where the client declared it), a revoked
// app password marks the link stale, an unreachable Nextcloud gives tool errors while the other
// backend keeps serving, apps the server does not run are left out, single-account mode, and a
// real Login Flow v2 sign-in followed by tool calls as that user.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CallToolResult, Client } from '@modelcontextprotocol/client';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { UpstreamCredentials } from '../src/identity/credentials.js';
import { NextcloudLinks } from '../src/identity/nextcloud/links.js';
import { Sealer } from '../src/identity/sealed.js';
import { closeNextcloudPools } from '../src/nextcloud/index.js';
import { LINK_REQUIRED_META } from '../src/protocol/link-required.js';
import { freePort } from './helpers/backends.js';
import { startFailingProxy } from './helpers/failing-proxy.js';
import { TestBrowser } from './helpers/browser.js';
import { authorizeUrl, fullFlow, pkce, REDIRECT, redeem, register } from './helpers/flow.js';
import { connectClient } from './helpers/mcp-http.js';
import { mintAppPassword, NC_URL, revokeAppPassword, unique } from './helpers/nextcloud-fixture.js';
import { ensureNextcloud, nextcloud } from './helpers/nextcloud.js';
import { grantLoginFlow } from './helpers/nextcloud-login-flow.js';
import { LogCapture, startTestPostern, tempDir, type TestPostern } from './helpers/postern.js';
import { text } from './helpers/results.js';
import { until } from './helpers/until.js';
import { ConfigError, demoBackends, loadConfig } from '../src/config/load.js';
import type { Config } from '../src/config/schema.js';

const SECRET = 'nextcloud-toolset-test-secret-0123456789';
const TOKENS = {
  alice: 'tok-alice-0123456789abcdef',
  bob: 'tok-bob-0123456789abcdef',
  dave: 'tok-dave-0123456789abcdef',
  erin: 'tok-erin-0123456789abcdef',
};

/** Calls a tool through Postern and asserts it succeeded; returns structuredContent. */
async function ok(client: Client, name: string, args: Record<string, unknown>): Promise<any> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  assert.notEqual(r.isError, true, `${name} failed: ${text(r)}`);
  return r.structuredContent;
}

/** Calls a tool through Postern and asserts a tool error (never a JSON-RPC error); returns the result. */
async function fails(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult & { text: string }> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  assert.equal(r.isError, true, `${name} should have failed: ${JSON.stringify(r.structuredContent)}`);
  return { ...r, text: text(r) };
}

describe('Nextcloud toolset through Postern', { timeout: 300_000 }, () => {
  let p: TestPostern;
  let links: NextcloudLinks;
  let alice: Client;
  let bob: Client;
  const passwords: Array<[user: 'alice' | 'bob', password: string]> = [];
  const dir = `/${unique('postern-toolset')}`;
  const undo: Array<() => Promise<unknown>> = [];
  let closedPort: number;
  /** Deletes one of alice's Deck boards straight at Nextcloud (no tool deletes boards). */
  const deleteBoard = (id: number) =>
    fetch(`${NC_URL}/index.php/apps/deck/api/v1.0/boards/${id}`, {
      method: 'DELETE',
      headers: { 'ocs-apirequest': 'true', authorization: `Basic ${Buffer.from(`alice:${passwords[0]![1]}`).toString('base64')}` },
    });

  before(async () => {
    await ensureNextcloud();
    closedPort = await freePort();
    p = await startTestPostern({
      auth: { secret: SECRET },
      identity: {
        staticTokens: Object.fromEntries(
          Object.entries(TOKENS).map(([name, token]) => [name, { hash: hashStaticToken(token), roles: name === 'erin' ? ['reader'] : [] }]),
        ),
      },
      // Readers may not delete in Nextcloud; everyone else may use every tool.
      policy: {
        rules: [
          { roles: ['reader'], tools: ['nextcloud__*_delete*'], policy: 'deny' },
          { tools: ['*'], policy: 'allow' },
        ],
      },
      mcpServers: {
        ...demoBackends(),
        nextcloud: { builtin: 'nextcloud', url: NC_URL },
        ncfiles: { builtin: 'nextcloud', url: NC_URL, apps: ['files', 'talk'] },
        ncdown: { builtin: 'nextcloud', url: `http://127.0.0.1:${closedPort}`, requestTimeoutMs: 5000 },
      },
    });
    links = new NextcloudLinks(new UpstreamCredentials(p.store, new Sealer(SECRET)));
    for (const user of ['alice', 'bob'] as const) {
      const appPassword = await mintAppPassword(user);
      passwords.push([user, appPassword]);
      await links.put(`static:${user}`, { loginName: user, appPassword });
    }
    alice = await connectClient(p.mcpUrl, TOKENS.alice, { era: 'legacy' });
    bob = await connectClient(p.mcpUrl, TOKENS.bob, { era: 'modern' });
    await ok(alice, 'nextcloud__files_mkdir', { path: dir });
  });

  after(async () => {
    for (const u of undo.reverse()) await u().catch(() => undefined);
    await alice?.callTool({ name: 'nextcloud__files_delete', arguments: { path: dir } }).catch(() => undefined);
    await alice?.close();
    await bob?.close();
    for (const [user, password] of passwords) await revokeAppPassword(user, password).catch(() => undefined);
    await p?.destroy();
    await closeNextcloudPools();
  });

  it('lists the tools as nextcloud__<tool> with their schemas and annotations, leaving out apps the server does not run', async () => {
    const { tools } = await alice.listTools();
    const names = tools.map((t) => t.name);
    for (const name of ['files_list', 'files_stat', 'notes_create', 'calendar_list_events', 'deck_get_board', 'tables_list', 'search']) {
      assert.ok(names.includes(`nextcloud__${name}`), `nextcloud__${name} is listed`);
    }
    assert.deepEqual(
      names.filter((n) => n.startsWith('nextcloud__talk_')),
      [],
      'the fixture has no Talk (spreed), so no talk tools',
    );
    const stat = tools.find((t) => t.name === 'nextcloud__files_stat')!;
    assert.equal(stat.annotations?.readOnlyHint, true);
    assert.ok(stat.outputSchema);
    assert.deepEqual(
      names.filter((n) => n.startsWith('ncfiles__')).every((n) => n.startsWith('ncfiles__files_')),
      true,
      '`apps` narrows the families; talk is asked for but not running',
    );
    assert.ok(names.includes('ncfiles__files_read'));
    assert.equal((await bob.listTools()).tools.length, tools.length, 'the same list for every caller and era');
  });

  it("each caller acts as themselves: bob neither sees nor changes alice's files", async () => {
    await ok(alice, 'nextcloud__files_write', { path: `${dir}/private.txt`, content: 'for alice only' });
    assert.equal((await ok(alice, 'nextcloud__files_read', { path: `${dir}/private.txt` })).text, 'for alice only');
    assert.match((await fails(bob, 'nextcloud__files_read', { path: `${dir}/private.txt` })).text, /Not found in Nextcloud: .*private\.txt/);
    assert.match((await fails(bob, 'nextcloud__files_read', { path: `/../alice/files${dir}/private.txt` })).text, /may not contain/);
    assert.match((await fails(bob, 'nextcloud__files_delete', { path: `${dir}/private.txt` })).text, /Not found/);
    const bobs = await ok(bob, 'nextcloud__files_list', { path: '/' });
    assert.equal(
      bobs.items.some((e: any) => e.path === dir),
      false,
    );
    assert.equal((await ok(alice, 'nextcloud__files_stat', { path: `${dir}/private.txt` })).size, 'for alice only'.length, 'still there, unchanged');
  });

  it("bob can neither read nor change alice's notes, events or cards by their ids", async () => {
    const note = await ok(alice, 'nextcloud__notes_create', { content: `# ${unique('secret')}\nalice's note` });
    undo.push(() => alice.callTool({ name: 'nextcloud__notes_delete', arguments: { id: note.id } }));
    assert.match((await fails(bob, 'nextcloud__notes_get', { id: note.id })).text, /Not found/);
    await fails(bob, 'nextcloud__notes_update', { id: note.id, content: 'bob was here' });
    await fails(bob, 'nextcloud__notes_delete', { id: note.id });
    assert.equal((await ok(alice, 'nextcloud__notes_get', { id: note.id })).content, note.content);

    const title = unique('meeting');
    const ev = await ok(alice, 'nextcloud__calendar_create_event', { summary: title, start: '2032-04-05T09:00:00Z' });
    undo.push(() => alice.callTool({ name: 'nextcloud__calendar_delete_event', arguments: { eventId: ev.eventId } }));
    assert.match((await fails(bob, 'nextcloud__calendar_get_event', { eventId: ev.eventId })).text, /Not found/);
    await fails(bob, 'nextcloud__calendar_update_event', { eventId: ev.eventId, summary: 'taken over' });
    await fails(bob, 'nextcloud__calendar_delete_event', { eventId: ev.eventId });
    const bobsWeek = await ok(bob, 'nextcloud__calendar_list_events', { from: '2032-04-04T00:00:00Z', to: '2032-04-06T00:00:00Z' });
    assert.equal(
      bobsWeek.items.some((e: any) => e.summary === title),
      false,
    );
    assert.equal((await ok(alice, 'nextcloud__calendar_get_event', { eventId: ev.eventId })).summary, title);

    const board = await ok(alice, 'nextcloud__deck_create_board', { title: unique('postern-toolset-board') });
    undo.push(() => deleteBoard(board.id));
    const stack = await ok(alice, 'nextcloud__deck_create_stack', { boardId: board.id, title: 'To do', order: 0 });
    const card = await ok(alice, 'nextcloud__deck_create_card', { boardId: board.id, stackId: stack.id, title: 'alice card' });
    undo.push(() => alice.callTool({ name: 'nextcloud__deck_delete_card', arguments: { boardId: board.id, stackId: stack.id, cardId: card.id } }));
    assert.match((await fails(bob, 'nextcloud__deck_get_board', { boardId: board.id })).text, /refused access|Not found/);
    await fails(bob, 'nextcloud__deck_update_card', { boardId: board.id, stackId: stack.id, cardId: card.id, title: 'bob card' });
    await fails(bob, 'nextcloud__deck_delete_card', { boardId: board.id, stackId: stack.id, cardId: card.id });
    const seen = await ok(alice, 'nextcloud__deck_get_board', { boardId: board.id });
    assert.equal(seen.stacks.find((s: any) => s.id === stack.id).cards[0].title, 'alice card');

    // A Deck board comes with a read-only task list; new tasks go to one alice can add to.
    let lists: any[] = [];
    const boardList = `app-generated--deck--board-${board.id}`;
    await until(
      async () => {
        lists = (await ok(alice, 'nextcloud__calendar_list_calendars', {})).calendars;
        return lists.some((c) => c.id === boardList);
      },
      30_000,
      "the new board's task list",
    );
    assert.equal(lists.find((c) => c.id === boardList).writable, false);
    const task = await ok(alice, 'nextcloud__tasks_create', { summary: unique('task') });
    undo.push(() => alice.callTool({ name: 'nextcloud__tasks_delete', arguments: { taskId: task.taskId } }));
    assert.equal(lists.find((c: any) => c.id === task.list)?.writable, true);
    await fails(bob, 'nextcloud__tasks_complete', { taskId: task.taskId });
  });

  it('goes through policy and the audit trail like any backend', async () => {
    const erin = await connectClient(p.mcpUrl, TOKENS.erin, { era: 'modern' });
    try {
      const names = (await erin.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes('nextcloud__files_list'));
      assert.equal(names.includes('nextcloud__files_delete'), false, 'the policy hides what a reader may not call');
      assert.equal(names.includes('nextcloud__notes_delete'), false);
      await assert.rejects(erin.callTool({ name: 'nextcloud__files_delete', arguments: { path: dir } }));
    } finally {
      await erin.close();
    }
    await ok(alice, 'nextcloud__files_stat', { path: dir });
    const lines = await p.store.queryAudit({ subject: 'static:alice', limit: 50 });
    assert.ok(lines.some((l) => l.action === 'nextcloud__files_stat' && l.decision === 'allow' && l.outcome === 'ok'));
    const denied = await p.store.queryAudit({ subject: 'static:erin', limit: 50 });
    assert.ok(denied.some((l) => l.action === 'nextcloud__files_delete' && l.decision === 'deny'));
  });

  it('a signed-in local user without a link gets a tool error carrying the link page', async () => {
    const { tokens } = await fullFlow(p.issuer, p.mcpUrl, p.password);
    const admin = await connectClient(p.mcpUrl, tokens.body.access_token, { era: 'legacy' });
    try {
      const r = await fails(admin, 'nextcloud__files_list', { path: '/' });
      assert.match(r.text, new RegExp(`Open ${p.issuer}/account/nextcloud to connect your Nextcloud account`));
      assert.deepEqual(r._meta?.[LINK_REQUIRED_META], { service: 'Nextcloud', url: `${p.issuer}/account/nextcloud`, stale: false });
      assert.equal(text(await admin.callTool({ name: 'everything__echo', arguments: { message: 'still here' } })), 'Echo: still here');
    } finally {
      await admin.close();
    }
  });

  for (const era of ['legacy', 'modern'] as const) {
    it(`a client that declared URL elicitation is asked to open the link page (${era} era)`, async () => {
      const asked: any[] = [];
      const client = await connectClient(p.mcpUrl, TOKENS.dave, { era, capabilities: { elicitation: { url: {} } } }, (c) =>
        c.setRequestHandler('elicitation/create', async (request) => {
          asked.push(request.params);
          return { action: 'accept' };
        }),
      );
      try {
        const r = await fails(client, 'nextcloud__files_stat', { path: '/' });
        assert.equal(asked.length, 1, 'one elicitation');
        assert.equal(asked[0].mode, 'url');
        assert.equal(asked[0].url, `${p.issuer}/account/nextcloud`);
        assert.match(asked[0].message, /Nextcloud account is not connected/);
        assert.match(r.text, /account\/nextcloud/);
      } finally {
        await client.close();
      }
    });
  }

  it('an app password revoked in Nextcloud marks the link stale and asks to reconnect', async () => {
    const appPassword = await mintAppPassword('alice');
    await links.put('static:dave', { loginName: 'alice', appPassword });
    const dave = await connectClient(p.mcpUrl, TOKENS.dave, { era: 'legacy' });
    try {
      assert.ok((await ok(dave, 'nextcloud__files_stat', { path: '/' })).path !== undefined);
      await revokeAppPassword('alice', appPassword);
      const r = await fails(dave, 'nextcloud__files_stat', { path: '/' });
      assert.match(r.text, /no longer accepts the access you granted Postern.*account\/nextcloud/);
      assert.equal((r._meta?.[LINK_REQUIRED_META] as any)?.stale, true);
      assert.equal((await links.get('static:dave'))?.stale, true, 'the link is marked stale');
      const again = await fails(dave, 'nextcloud__files_stat', { path: '/' });
      assert.equal((again._meta?.[LINK_REQUIRED_META] as any)?.stale, true, 'the next call asks to reconnect too');
    } finally {
      await dave.close();
      await links.remove('static:dave');
    }
  });

  it('an unreachable Nextcloud gives clear tool errors while the other backends keep serving', async () => {
    const names = (await alice.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('ncdown__files_list'), 'listed from the configured families when the probe fails');
    const r = await fails(alice, 'ncdown__files_list', { path: '/' });
    assert.match(r.text, new RegExp(`Nextcloud at http://127.0.0.1:${closedPort} is unreachable`));
    assert.equal(text(await alice.callTool({ name: 'everything__echo', arguments: { message: 'hi' } })), 'Echo: hi');
    assert.ok(await ok(alice, 'nextcloud__files_stat', { path: dir }));
  });
});

describe('Nextcloud toolset in single-account mode', { timeout: 120_000 }, () => {
  it('acts as the one configured account for everyone and warns at start', async () => {
    await ensureNextcloud();
    const appPassword = await mintAppPassword('alice');
    const capture = new LogCapture();
    const dir = `/${unique('postern-single')}`;
    const p = await startTestPostern(
      {
        identity: { staticTokens: { someone: { hash: hashStaticToken(TOKENS.bob) } } },
        mcpServers: { nextcloud: { builtin: 'nextcloud', url: NC_URL, singleAccount: true, user: 'alice', password: appPassword, apps: ['files'] } },
      },
      undefined,
      { capture },
    );
    const client = await connectClient(p.mcpUrl, TOKENS.bob, { era: 'legacy' });
    try {
      assert.ok(capture.lines.some((l) => l.level === 40 && /single-account mode: every Postern user acts as the one Nextcloud account/.test(l.msg ?? '')));
      await ok(client, 'nextcloud__files_mkdir', { path: dir });
      // Written through Postern by "someone", it is in alice's files.
      const res = await fetch(`${NC_URL}/remote.php/dav/files/alice${dir}`, {
        method: 'PROPFIND',
        headers: { depth: '0', authorization: `Basic ${Buffer.from(`alice:${appPassword}`).toString('base64')}` },
      });
      await res.body?.cancel();
      assert.equal(res.status, 207);
      await ok(client, 'nextcloud__files_delete', { path: dir });
    } finally {
      await client.close();
      await p.destroy();
      await revokeAppPassword('alice', appPassword);
      await closeNextcloudPools();
    }
  });
});

describe('Nextcloud toolset after "Sign in with Nextcloud" (Login Flow v2 on the real server)', { timeout: 180_000 }, () => {
  it('signs alice in through Nextcloud and nextcloud__files_list then works as alice', async () => {
    await ensureNextcloud();
    const p = await startTestPostern({
      auth: { secret: SECRET },
      identity: { local: { enabled: false }, nextcloud: { url: NC_URL, passwordLogin: false, loginFlow: true } },
      mcpServers: { nextcloud: { builtin: 'nextcloud', apps: ['files'], url: NC_URL } },
    });
    const links = new NextcloudLinks(new UpstreamCredentials(p.store, new Sealer(SECRET)));
    const dir = `/${unique('postern-flow')}`;
    let client: Client | undefined;
    try {
      const { body: registered } = await register(p.issuer);
      const { verifier, challenge } = pkce();
      const browser = new TestBrowser();
      const login = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, registered.client_id, { code_challenge: challenge }), {}, REDIRECT);
      const waiting = await browser.submit(login, '/nextcloud', {}, REDIRECT);
      const loginUrl = /href="([^"]+\/login\/v2\/flow\/[^"]+)"/.exec(waiting.html)![1].replace(/&amp;/g, '&');
      const waitUrl = new URL(/url=([^"]+)"/.exec(waiting.html)![1].replace(/&amp;/g, '&'), waiting.url).toString();
      await grantLoginFlow(loginUrl, nextcloud.alice);
      const consent = await browser.go(waitUrl, {}, REDIRECT);
      const done = await browser.submit(consent, '/confirm', {}, REDIRECT);
      const tokens = await redeem(p.issuer, registered.client_id, new URL(done.url).searchParams.get('code')!, verifier);
      assert.equal(tokens.status, 200);

      const link = await links.get('nextcloud:alice');
      assert.equal(link?.loginName, 'alice', 'the sign-in left a link');
      client = await connectClient(p.mcpUrl, tokens.body.access_token, { era: 'legacy' });
      await ok(client, 'nextcloud__files_mkdir', { path: dir });
      const listed = await ok(client, 'nextcloud__files_list', { path: '/' });
      assert.ok(
        listed.items.some((e: any) => e.path === dir),
        "alice's own files, with the folder just made",
      );
      await ok(client, 'nextcloud__files_delete', { path: dir });
    } finally {
      await client?.close();
      const link = await links.get('nextcloud:alice');
      if (link) await revokeAppPassword('alice', link.appPassword).catch(() => undefined);
      await p.destroy();
      await closeNextcloudPools();
    }
  });
});

describe('Nextcloud toolset with a login name that is not the user id', { timeout: 120_000 }, () => {
  it('authenticates with the login name and finds the files under the user id Nextcloud names', async () => {
    await ensureNextcloud();
    const proxy = await startFailingProxy(NC_URL);
    const appPassword = await mintAppPassword('alice');
    const p = await startTestPostern({
      auth: { secret: SECRET },
      identity: { staticTokens: { dave: { hash: hashStaticToken(TOKENS.dave) } } },
      mcpServers: { nextcloud: { builtin: 'nextcloud', url: proxy.url, apps: ['files'] } },
    });
    // Nextcloud takes login names case-insensitively; its user id is "alice".
    await new NextcloudLinks(new UpstreamCredentials(p.store, new Sealer(SECRET))).put('static:dave', { loginName: 'ALICE', appPassword });
    const client = await connectClient(p.mcpUrl, TOKENS.dave, { era: 'legacy' });
    try {
      await ok(client, 'nextcloud__files_stat', { path: '/' });
      const dav = proxy.seen.filter((req) => req.url?.startsWith('/remote.php/dav/files/'));
      assert.deepEqual(
        dav.map((req) => req.url),
        ['/remote.php/dav/files/alice'],
      );
      assert.equal(dav[0].headers.authorization, `Basic ${Buffer.from(`ALICE:${appPassword}`).toString('base64')}`);
    } finally {
      await client.close();
      await p.destroy();
      await proxy.close();
      await revokeAppPassword('alice', appPassword);
      await closeNextcloudPools();
    }
  });
});

describe('Nextcloud toolset with forwardUserToken', { timeout: 120_000 }, () => {
  // End to end this needs Nextcloud to accept its oidc app's tokens on its own APIs (the user_oidc
  // app's bearer validation), which the fixture does not run; what is checked here is Postern's
  // part: the caller's own token goes to Nextcloud, no link is asked for, and the refusal is a
  // plain tool error.
  it("sends the caller's own bearer token to Nextcloud and no other credential", async () => {
    await ensureNextcloud();
    const proxy = await startFailingProxy(NC_URL);
    const p = await startTestPostern({
      identity: { staticTokens: { carol: { hash: hashStaticToken(TOKENS.dave) } } },
      mcpServers: { nextcloud: { builtin: 'nextcloud', url: proxy.url, apps: ['files'], forwardUserToken: true } },
    });
    const client = await connectClient(p.mcpUrl, TOKENS.dave, { era: 'legacy' });
    try {
      const r = await fails(client, 'nextcloud__files_stat', { path: '/' });
      assert.match(r.text, /Nextcloud did not accept your credentials/);
      assert.equal(r._meta?.[LINK_REQUIRED_META], undefined, 'no link is asked for in this mode');
      const dav = proxy.seen.filter((req) => req.url?.startsWith('/remote.php/dav/files/'));
      assert.equal(dav.length, 1);
      assert.equal(dav[0].headers.authorization, `Bearer ${TOKENS.dave}`);
      assert.equal(dav[0].url, '/remote.php/dav/files/static%3Acarol', 'the subject names the Nextcloud user');
    } finally {
      await client.close();
      await p.destroy();
      await proxy.close();
      await closeNextcloudPools();
    }
  });
});

describe('Nextcloud toolset configuration', () => {
  const load = (config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
    const dir = tempDir();
    const file = path.join(dir, 'postern.json');
    writeFileSync(file, JSON.stringify({ dataDir: dir, ...config }));
    try {
      return loadConfig({ file, env });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const problems = (config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): string => {
    try {
      load(config, env);
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      return err.message;
    }
    assert.fail('the configuration was accepted');
  };
  const settings = (config: Config, name = 'nextcloud') => (config.mcpServers![name] as { settings: Record<string, unknown> }).settings;

  it('`builtin: nextcloud` takes its url from identity.nextcloud.url; the long form still works', () => {
    const config = load({
      identity: { nextcloud: { url: 'https://cloud.example.com/' } },
      mcpServers: {
        nextcloud: { builtin: 'nextcloud', apps: ['files', 'notes'], prefix: 'nc' },
        other: { type: 'built-in', toolset: 'nextcloud', settings: { url: 'https://other.example.com' } },
      },
    });
    const entry = config.mcpServers!.nextcloud as { prefix: unknown; toolset: string };
    assert.deepEqual([entry.toolset, entry.prefix], ['nextcloud', 'nc'], 'backend fields stay on the entry');
    assert.deepEqual(settings(config), { url: 'https://cloud.example.com', apps: ['files', 'notes'] }, 'the toolset parses them when it connects');
    assert.equal(settings(config, 'other').url, 'https://other.example.com');
  });

  it('names the key and the fix when something is missing or wrong', () => {
    assert.match(
      problems({ mcpServers: { nextcloud: { builtin: 'nextcloud' } } }),
      /mcpServers\.nextcloud\.url: not set; give the Nextcloud base URL there or in identity\.nextcloud\.url/,
    );
    assert.match(
      problems({ mcpServers: { nc: { type: 'built-in', toolset: 'nextcloud' } } }),
      /mcpServers\.nc\.settings\.url: not set/,
      'the long form names settings.url',
    );
    assert.match(problems({ mcpServers: { nc: { builtin: 'nextcloud', url: NC_URL, apps: ['files', 'chat'] } } }), /mcpServers\.nc\.apps\.1: /);
    assert.match(problems({ mcpServers: { nc: { builtin: 'nope' } } }), /mcpServers\.nc\.builtin: no built-in toolset "nope"; use one of nextcloud/);
    assert.match(
      problems({ mcpServers: { nc: { builtin: 'nextcloud', url: NC_URL, user: 'alice' } } }),
      /mcpServers\.nc\.user: is only used in single-account mode/,
    );
    assert.match(
      problems({ mcpServers: { nc: { builtin: 'nextcloud', url: NC_URL, forwardUserToken: true } } }),
      /mcpServers\.nc\.forwardUserToken: needs auth\.external/,
    );
  });

  it('single-account mode takes the variables AIquila-style deployments set, and needs them all', () => {
    const env = { NEXTCLOUD_HOST: 'https://cloud.example.com', NEXTCLOUD_USERNAME: 'bot', NEXTCLOUD_PASSWORD: 'app-pass' };
    const config = load({ mcpServers: { nextcloud: { builtin: 'nextcloud', singleAccount: true } } }, env);
    assert.deepEqual([settings(config).url, settings(config).user, settings(config).password], ['https://cloud.example.com', 'bot', 'app-pass']);
    const missing = problems({ mcpServers: { nextcloud: { builtin: 'nextcloud', singleAccount: true } } }, { NEXTCLOUD_URL: 'https://cloud.example.com' });
    assert.match(missing, /mcpServers\.nextcloud\.user: not set; single-account mode needs the Nextcloud account \(or set NEXTCLOUD_USER\)/);
    assert.match(missing, /mcpServers\.nextcloud\.password: not set/);
    assert.match(
      problems({ mcpServers: { nextcloud: { builtin: 'nextcloud', singleAccount: true } } }, { ...env, NEXTCLOUD_HOST: 'cloud.example.com' }),
      /NEXTCLOUD_HOST: "cloud\.example\.com" is not a Nextcloud URL/,
    );
  });
});
