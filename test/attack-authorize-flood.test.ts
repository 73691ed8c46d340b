// Attack family: the authorization endpoint flooded from one address. Each authorization request
// that reaches the sign-in page stores a sign-in (an Interaction, kept an hour), and each pushed
// request (/par) a PushedAuthorizationRequest, for anyone who asks: past
// auth.authorizationRateLimit an address gets 429 with Retry-After and nothing is stored, while
// another address still signs in. Resuming a sign-in (/authorize/<uid>) is not counted. Two
// replicas on one PostgreSQL database count together.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { TestBrowser } from './helpers/browser.js';
import { authorizeUrl, pkce, REDIRECT, register } from './helpers/flow.js';
import { send } from './helpers/http.js';
import { assertNoFraming, assertOAuthError, jsonAnswer, usePostern } from './helpers/attack.js';
import { pgSchema, type PgSchema } from './helpers/postgres.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

const PER_ADDRESS = 4;
const WINDOW_S = 600;

describe('attacks on the authorization endpoint: a flood from one address', () => {
  const at = usePostern({
    config: { server: { port: 0, trustProxy: true }, auth: { authorizationRateLimit: { perAddress: PER_ADDRESS, windowSeconds: WINDOW_S } } },
  });
  let clientId: string;
  before(async () => {
    clientId = (await register(at.p.issuer)).body.client_id;
  });

  const interactions = () => at.p.store.oidcCount('Interaction');
  const from = (address: string) => ({ 'x-forwarded-for': address });
  const authorize = (address: string) => fetch(authorizeUrl(at.p.issuer, at.p.mcpUrl, clientId), { headers: from(address), redirect: 'manual' });
  /** A pushed authorization request (RFC 9126) of the public client, from `address`. */
  const par = (address: string) =>
    fetch(`${at.p.issuer}/par`, {
      method: 'POST',
      headers: { ...from(address), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(Object.fromEntries(new URL(authorizeUrl(at.p.issuer, at.p.mcpUrl, clientId)).searchParams)).toString(),
    });

  async function assertRefusedPage(res: Response): Promise<void> {
    assert.equal(res.status, 429);
    const wait = Number(res.headers.get('retry-after'));
    assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= WINDOW_S, `Retry-After ${res.headers.get('retry-after')}`);
    assert.equal(res.headers.get('location'), null, 'not sent on to the redirect URI');
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assertNoFraming(res.headers);
    const html = await res.text();
    assert.match(html, /temporarily_unavailable/);
    assert.match(html, /too many authorization requests from this address; try again in \d+ s/);
  }

  it('past the limit GET and POST /authorize and POST /par get 429 with Retry-After and store nothing; another address still signs in', async () => {
    const address = '198.51.100.40';
    const before = await interactions();
    for (let i = 0; i < PER_ADDRESS - 1; i++) {
      const res = await authorize(address);
      assert.equal(res.status, 303, `request ${i + 1}`);
      assert.match(res.headers.get('location') ?? '', /^\/interaction\//);
      await res.body?.cancel();
    }
    const pushed = await par(address);
    assert.equal(pushed.status, 201, await pushed.clone().text());
    assert.match(String((await pushed.json()).request_uri), /^urn:ietf:params:oauth:request_uri:/);
    assert.equal(await interactions(), before + PER_ADDRESS - 1, 'one sign-in stored per request within the limit');
    const pushedStored = await at.p.store.oidcCount('PushedAuthorizationRequest');

    for (let i = 0; i < 5; i++) await assertRefusedPage(await authorize(address));
    const form = new URLSearchParams(Object.fromEntries(new URL(authorizeUrl(at.p.issuer, at.p.mcpUrl, clientId)).searchParams)).toString();
    await assertRefusedPage(
      await fetch(`${at.p.issuer}/authorize`, {
        method: 'POST',
        headers: { ...from(address), 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
        redirect: 'manual',
      }),
    );
    const refusedPar = await jsonAnswer(await par(address));
    assertOAuthError(refusedPar, 429, 'temporarily_unavailable', /too many authorization requests/);
    assert.ok(Number(refusedPar.headers.get('retry-after')) >= 1);
    // Earlier X-Forwarded-For entries are the client's own words: only the proxy's last one counts.
    await assertRefusedPage(await authorize(`203.0.113.50, ${address}`));
    assert.equal(await interactions(), before + PER_ADDRESS - 1, 'no sign-in stored past the limit');
    assert.equal(await at.p.store.oidcCount('PushedAuthorizationRequest'), pushedStored, 'no pushed request stored past the limit');

    const other = await authorize('198.51.100.41');
    assert.equal(other.status, 303);
    await other.body?.cancel();
    assert.equal(await interactions(), before + PER_ADDRESS);
  });

  it('an IPv6 client counts by its /64: other addresses of that network share its limit, the next /64 does not', async () => {
    const network = '2001:db8:40:1';
    for (let i = 0; i < PER_ADDRESS; i++) {
      const res = await authorize(`${network}::${(i + 1).toString(16)}`);
      assert.equal(res.status, 303, `request ${i + 1}`);
      await res.body?.cancel();
    }
    const before = await interactions();
    await assertRefusedPage(await authorize(`${network}:ffff:ffff:ffff:fffe`));
    await assertRefusedPage(await authorize('2001:DB8:40:1:0:0:0:99'));
    assert.equal(await interactions(), before, 'nothing stored for the same /64');
    const next = await authorize('2001:db8:40:2::1');
    assert.equal(next.status, 303);
    await next.body?.cancel();
  });

  it('resuming a sign-in is not counted and a flow that ends with a code gives its request back: an address makes more whole flows than the limit; left at the sign-in page they count', async () => {
    const address = '198.51.100.50';
    for (let i = 0; i < PER_ADDRESS + 2; i++) {
      const browser = new TestBrowser(from(address));
      const login = await browser.go(authorizeUrl(at.p.issuer, at.p.mcpUrl, clientId, { code_challenge: pkce().challenge }), {}, REDIRECT);
      assert.equal(login.status, 200, login.html.slice(0, 300));
      const consent = await browser.submit(login, '/login', { username: 'admin', password: at.p.password }, REDIRECT);
      assert.match(consent.html, /Allow access/, `flow ${i + 1}`);
      const done = await browser.submit(consent, '/confirm', {}, REDIRECT);
      assert.ok(new URL(done.url).searchParams.get('code'), `flow ${i + 1} ends with a code`);
    }
    for (let i = 0; i < PER_ADDRESS; i++) {
      const left = await authorize(address);
      assert.equal(left.status, 303, `sign-in ${i + 1} left at the login page`);
      await left.body?.cancel();
    }
    await assertRefusedPage(await authorize(address));
  });

  it('bad requests count too, and are answered as before within the limit', async () => {
    const address = '198.51.100.60';
    const bad = () => send(`${at.p.issuer}/authorize?client_id=nobody&response_type=code`, { headers: from(address) });
    for (let i = 0; i < PER_ADDRESS; i++) assert.equal((await bad()).status, 400);
    assert.equal((await bad()).status, 429);
  });
});

describe('the authorization endpoint flooded across two replicas on one PostgreSQL database', () => {
  let schema: PgSchema;
  const replicas: TestPostern[] = [];
  before(async () => {
    schema = await pgSchema();
    const config = {
      mcpServers: {},
      server: { port: 0, trustProxy: true },
      store: { driver: 'postgres', url: schema.url },
      auth: { secret: randomBytes(32).toString('base64url'), authorizationRateLimit: { perAddress: PER_ADDRESS, windowSeconds: WINDOW_S } },
    };
    for (let i = 0; i < 2; i++) replicas.push(await startTestPostern(config));
  });
  after(async () => {
    for (const replica of replicas) await replica.destroy();
    await schema.drop();
  });

  it('the replicas count one address together: past the limit both answer 429 and store nothing', async () => {
    const clientId = (await register(replicas[0].issuer)).body.client_id;
    const authorize = (replica: TestPostern, address: string) =>
      fetch(authorizeUrl(replica.issuer, replica.mcpUrl, clientId), { headers: { 'x-forwarded-for': address }, redirect: 'manual' });
    for (let i = 0; i < PER_ADDRESS; i++) {
      const res = await authorize(replicas[i % 2], '198.51.100.70');
      assert.equal(res.status, 303, `request ${i + 1} to replica ${i % 2}`);
      await res.body?.cancel();
    }
    const stored = await replicas[0].store.oidcCount('Interaction');
    for (const replica of replicas) {
      const refused = await authorize(replica, '198.51.100.70');
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers.get('retry-after')) >= 1);
      await refused.body?.cancel();
    }
    assert.equal(await replicas[1].store.oidcCount('Interaction'), stored);
    const other = await authorize(replicas[1], '198.51.100.71');
    assert.equal(other.status, 303);
    await other.body?.cancel();
  });
});
