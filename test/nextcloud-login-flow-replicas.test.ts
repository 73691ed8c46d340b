// Nextcloud Login Flow v2 on two replicas sharing one PostgreSQL store (a schema of this run's
// own), against the real Nextcloud 34 fixture: a flow started on replica A is polled on replica
// B, for the sign-in and for "Connect Nextcloud"; polls racing on both replicas after the grant
// link once and leave no app password behind at Nextcloud; "Connect again" on B replaces A's flow
// and deletes what Nextcloud granted for it; the poll token is kept sealed. Then, with the
// emulator: polls that all get the grant, and "Sign in with Nextcloud" through the pages of two
// Postern replicas behind one address, whose per-address limit on starts the replicas count together.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { UpstreamCredentials } from '../src/identity/credentials.js';
import { NextcloudConnect, type WaitResult } from '../src/identity/nextcloud/connect.js';
import { NextcloudLinks } from '../src/identity/nextcloud/links.js';
import { NextcloudLoginFlow } from '../src/identity/nextcloud/login-flow/source.js';
import { nextcloudSchema } from '../src/identity/nextcloud/schema.js';
import { Sealer } from '../src/identity/sealed.js';
import { NEXTCLOUD_PATHS } from '../src/oauth/account-nextcloud.js';
import { PostgresStore } from '../src/store/postgres/store.js';
import { appPasswordWorks, authTokensOf, ensureNextcloud, nextcloud } from './helpers/nextcloud.js';
import { grantLoginFlow, loginUrlOn } from './helpers/nextcloud-login-flow.js';
import { pgSchema, type PgSchema } from './helpers/postgres.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';
import { startSwitchProxy, type SwitchProxy } from './helpers/switch-proxy.js';
import { TestBrowser } from './helpers/browser.js';
import { authorizeUrl, pkce, REDIRECT, redeem, register } from './helpers/flow.js';
import { NextcloudEmulator } from './nextcloud/emulator.js';

const DEVICE = 'Postern MCP gateway';
const WHO = nextcloud.bob;
const devicePasswords = async () => (await authTokensOf(WHO.user)).filter((t) => t.name === DEVICE).length;

/** One replica: its own connections to the shared store, and the parts that drive login flows. */
interface Replica {
  store: PostgresStore;
  links: NextcloudLinks;
  connect: NextcloudConnect;
  signIn: NextcloudLoginFlow;
}

describe('Nextcloud Login Flow v2 across replicas', { timeout: 300_000 }, () => {
  let schema: PgSchema;
  let a: Replica;
  let b: Replica;
  const sealer = new Sealer(randomBytes(32).toString('base64url'));
  const server = { url: nextcloud.url, timeoutMs: 30_000 };
  const subjects: string[] = [];

  async function replica(): Promise<Replica> {
    const store = await PostgresStore.open({ url: schema.url, pool: 4 });
    const links = new NextcloudLinks(new UpstreamCredentials(store, sealer), server);
    const config = nextcloudSchema.parse({ url: nextcloud.url, loginFlow: true, timeoutMs: 30_000 });
    return { store, links, connect: new NextcloudConnect(links, server, { store, sealer }), signIn: new NextcloudLoginFlow(config, {}, store, links, sealer) };
  }

  before(async () => {
    await ensureNextcloud();
    schema = await pgSchema();
    a = await replica();
    b = await replica();
  });
  after(async () => {
    // A link left behind holds an app password of ours: removing it deletes it at Nextcloud.
    for (const subject of subjects) await a?.links.remove(subject).catch(() => false);
    await Promise.all([a?.store.close(), b?.store.close()]);
    await schema?.drop();
  });

  const freshSubject = (name: string) => {
    const subject = `local:${name}-${randomBytes(4).toString('hex')}`;
    subjects.push(subject);
    return subject;
  };

  it('"Connect Nextcloud" started on A is polled on B: linked, with the poll token sealed in the store', async () => {
    const subject = freshSubject('connect');
    const waiting = await a.connect.connect(subject, NEXTCLOUD_PATHS);
    const [flow] = await schema.query<{ payload: { token: string } }>("SELECT payload FROM oidc WHERE model = 'NextcloudLoginFlow'");
    assert.match(flow.payload.token, /^v1\./, 'the poll token is sealed');
    const stillWaiting = await b.connect.wait(subject, NEXTCLOUD_PATHS, 'csrf');
    assert.equal(stillWaiting.kind, 'page');
    assert.match((stillWaiting as { html: string }).html, /Waiting for Nextcloud/, 'B knows the flow A started');

    await grantLoginFlow(loginUrlOn(waiting), WHO);
    const done = await b.connect.wait(subject, NEXTCLOUD_PATHS, 'csrf');
    assert.deepEqual(done, { kind: 'linked', loginName: WHO.user });
    const link = await a.links.get(subject);
    assert.ok(link && (await appPasswordWorks(link.loginName, link.appPassword)), 'the link works, seen from A');
    const again = await a.connect.wait(subject, NEXTCLOUD_PATHS, 'csrf');
    assert.equal((again as { status: number }).status, 400, 'the flow is used up on every replica');
    await a.links.remove(subject);
  });

  it('the sign-in started on A is polled on B: signed in', async () => {
    const uid = `interaction-${randomBytes(6).toString('hex')}`;
    const loginUrl = await a.signIn.start(uid);
    assert.deepEqual(await b.signIn.poll(uid), { kind: 'pending', login: loginUrl });
    await grantLoginFlow(loginUrl, WHO);
    const result = await b.signIn.poll(uid);
    assert.equal(result.kind, 'ok');
    const subject = (result as { principal: { subject: string } }).principal.subject;
    subjects.push(subject);
    assert.equal(subject, `nextcloud:${WHO.user}`);
    assert.ok(await a.links.get(subject), 'the link, seen from A');
    assert.deepEqual(await a.signIn.poll(uid), { kind: 'expired' });
    await a.links.remove(subject);
  });

  it('polls racing on A and B after the grant: one link, and no app password left behind at Nextcloud', async () => {
    const before = await devicePasswords();
    const subject = freshSubject('race');
    await grantLoginFlow(loginUrlOn(await a.connect.connect(subject, NEXTCLOUD_PATHS)), WHO);
    assert.equal(await devicePasswords(), before + 1, 'Nextcloud made one app password for the grant');
    const results: WaitResult[] = await Promise.all([a, b, a, b].map((r) => r.connect.wait(subject, NEXTCLOUD_PATHS, 'csrf')));
    const linked = results.filter((r) => r.kind === 'linked');
    assert.equal(linked.length, 1, `exactly one poll links: ${JSON.stringify(results.map((r) => r.kind))}`);
    const link = await b.links.get(subject);
    assert.ok(link && (await appPasswordWorks(link.loginName, link.appPassword)), 'the winner’s app password was not deleted by a loser');
    assert.equal(await devicePasswords(), before + 1, 'no orphan app password');
    await b.links.remove(subject);
    assert.equal(await devicePasswords(), before, 'unlinking deletes the one there is');
  });

  it('"Connect again" on B while A’s granted flow waits: the old grant is deleted at Nextcloud, never linked; the new flow goes on', async () => {
    const before = await devicePasswords();
    const subject = freshSubject('restart');
    await grantLoginFlow(loginUrlOn(await a.connect.connect(subject, NEXTCLOUD_PATHS)), WHO);
    assert.equal(await devicePasswords(), before + 1);
    await b.connect.connect(subject, NEXTCLOUD_PATHS);
    assert.equal(await devicePasswords(), before, 'what Nextcloud granted for the replaced flow is deleted there');
    const next = await a.connect.wait(subject, NEXTCLOUD_PATHS, 'csrf');
    assert.equal((next as { status: number }).status, 200, 'the new flow is waiting');
    assert.match((next as { html: string }).html, /Waiting for Nextcloud/);
    assert.equal(await a.links.get(subject), undefined);
    await b.connect.unlink(subject);
    assert.equal(
      await a.connect.wait(subject, NEXTCLOUD_PATHS, 'csrf').then((r) => (r as { status: number }).status),
      400,
      'unlinked on B: A forgets the flow',
    );
  });
});

// The fixture answers a granted flow's first poll only, so that polls racing there rarely both
// get the grant; the emulator hands it to every poll, as Nextcloud may to polls that race.
describe('Nextcloud Login Flow v2 across replicas, when every racing poll gets the grant', () => {
  const nc = new NextcloudEmulator();
  let schema: PgSchema;
  const stores: PostgresStore[] = [];
  const sealer = new Sealer(randomBytes(32).toString('base64url'));

  before(async () => {
    nc.addUser({ id: 'carol', displayname: 'Carol', email: null, groups: [], appPasswords: [] });
    nc.grantEveryPoll = true;
    nc.signedInAs = 'carol';
    await nc.start();
    schema = await pgSchema();
  });
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await schema?.drop();
    await nc.stop();
  });

  async function connectOn(): Promise<{ links: NextcloudLinks; connect: NextcloudConnect }> {
    const store = await PostgresStore.open({ url: schema.url, pool: 4 });
    stores.push(store);
    const server = { url: nc.url, timeoutMs: 10_000 };
    const links = new NextcloudLinks(new UpstreamCredentials(store, sealer), server);
    return { links, connect: new NextcloudConnect(links, server, { store, sealer }) };
  }

  it('exactly one of the polls racing on two replicas links; no other deletes the app password it linked', async () => {
    const [a, b] = [await connectOn(), await connectOn()];
    const subject = 'local:race';
    await fetch(loginUrlOn(await a.connect.connect(subject, NEXTCLOUD_PATHS))); // the user grants
    const results = await Promise.all([a, b, a, b, a, b].map((r) => r.connect.wait(subject, NEXTCLOUD_PATHS, 'csrf')));
    assert.deepEqual(
      results.map((r) => r.kind).filter((k) => k === 'linked'),
      ['linked'],
    );
    const carol = nc.users.get('carol')!;
    assert.deepEqual(carol.appPasswords, [(await b.links.get(subject))?.appPassword], 'the one app password there is, linked');
    await a.connect.unlink(subject);
    assert.deepEqual(carol.appPasswords, []);
  });

  it('"Connect again" on B while a poll on A holds the grant of the flow it replaces: nothing linked, the app password deleted', async () => {
    const [a, b] = [await connectOn(), await connectOn()];
    const subject = 'local:restart';
    await fetch(loginUrlOn(await a.connect.connect(subject, NEXTCLOUD_PATHS)));
    // A's poll is at Nextcloud, its grant on the way back, when B starts over.
    const hold = nc.holdNextPoll();
    const polling = a.connect.wait(subject, NEXTCLOUD_PATHS, 'csrf');
    await hold.held;
    await b.connect.connect(subject, NEXTCLOUD_PATHS);
    hold.release();
    assert.notEqual((await polling).kind, 'linked');
    assert.equal(await a.links.get(subject), undefined);
    assert.deepEqual(nc.users.get('carol')!.appPasswords, [], 'what Nextcloud granted for the replaced flow is deleted there');
  });
});

describe('"Sign in with Nextcloud" through two Postern replicas', () => {
  const nc = new NextcloudEmulator();
  let schema: PgSchema;
  let proxy: SwitchProxy;
  let a: TestPostern;
  let b: TestPostern;
  const target = (p: TestPostern) => `127.0.0.1:${p.port}`;

  before(async () => {
    nc.addUser({ id: 'dave', displayname: 'Dave', email: null, groups: ['staff'], appPasswords: [] });
    await nc.start();
    schema = await pgSchema();
    proxy = await startSwitchProxy();
    const config = {
      server: { port: 0, issuer: proxy.origin, trustProxy: true },
      store: { driver: 'postgres', url: schema.url },
      auth: { secret: randomBytes(32).toString('base64url') },
      identity: {
        local: { enabled: false },
        nextcloud: { url: nc.url, passwordLogin: false, loginFlow: true, loginFlowRateLimit: { perAddress: 3, windowSeconds: 600 } },
        groupRoles: { staff: ['reader'] },
      },
    };
    [a, b] = await Promise.all([startTestPostern(config), startTestPostern(config)]);
  });
  after(async () => {
    for (const p of [b, a]) await p?.destroy();
    await proxy?.close();
    await schema?.drop();
    await nc.stop();
  });

  it('the flow started on A is waited for and finished on B, consent on A, the token from B', async () => {
    proxy.target = target(a);
    const { body: client } = await register(proxy.origin);
    const { verifier, challenge } = pkce();
    const browser = new TestBrowser();
    const login = await browser.go(authorizeUrl(proxy.origin, `${proxy.origin}/mcp`, client.client_id, { code_challenge: challenge }), {}, REDIRECT);
    const waiting = await browser.submit(login, '/nextcloud', {}, REDIRECT);
    const loginUrl = loginUrlOn(waiting.html);
    const waitUrl = new URL(/url=([^"]+)"/.exec(waiting.html)![1].replace(/&amp;/g, '&'), waiting.url).toString();

    proxy.target = target(b);
    assert.match((await browser.go(waitUrl, {}, REDIRECT)).html, /Waiting for Nextcloud/, 'B knows the flow A started');
    nc.signedInAs = 'dave';
    assert.equal((await fetch(loginUrl)).status, 200);
    const consent = await browser.go(waitUrl, {}, REDIRECT);
    assert.match(consent.html, /Allow access/);
    assert.match(consent.html, /Dave/);

    proxy.target = target(a);
    const done = await browser.submit(consent, '/confirm', {}, REDIRECT);
    proxy.target = target(b);
    const tokens = await redeem(proxy.origin, client.client_id, new URL(done.url).searchParams.get('code')!, verifier);
    assert.equal(tokens.status, 200);
    const checked = await a.guard!.check(`Bearer ${tokens.body.access_token}`);
    assert.ok(checked.ok && checked.caller.subject === 'nextcloud:dave');
  });

  it('starts from one address count on both replicas together: past the limit 429 on either, and Nextcloud is not asked', async () => {
    const { body: client } = await register(proxy.origin);
    const flowsAsked = () => nc.requests.filter((r) => r.path === '/index.php/login/v2').length;
    const startOn = async (p: TestPostern, address: string) => {
      proxy.target = target(p);
      const browser = new TestBrowser({ 'x-forwarded-for': address });
      const login = await browser.go(authorizeUrl(proxy.origin, `${proxy.origin}/mcp`, client.client_id), {}, REDIRECT);
      return browser.submit(login, '/nextcloud', {}, REDIRECT);
    };
    for (const p of [a, b, a]) assert.equal((await startOn(p, '198.51.100.20')).status, 200);
    const asked = flowsAsked();
    for (const p of [b, a]) {
      const refused = await startOn(p, '198.51.100.20');
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers.get('retry-after')) > 0);
    }
    assert.equal(flowsAsked(), asked);
    assert.equal((await startOn(b, '198.51.100.21')).status, 200, 'another address still starts');
  });
});
