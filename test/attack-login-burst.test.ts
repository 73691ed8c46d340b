// Attack family: password guesses sent all at once. Every attempt is counted before its password is
// tried, so a burst gets no more tries than the same guesses sent one after another: at most the
// limit (5 per username, 20 per address) reaches the password check — local users on SQLite and on
// PostgreSQL, Nextcloud users (the emulator counts what reaches it) — and the rest are answered 429
// with Retry-After. A success gives back only its own attempt; an attempt Nextcloud could not
// answer counts for nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LocalUsers } from '../src/identity/local/users.js';
import { TestBrowser, type Page } from './helpers/browser.js';
import { authorizeUrl, REDIRECT, register } from './helpers/flow.js';
import { pgSchema, type PgSchema } from './helpers/postgres.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';
import { until } from './helpers/until.js';
import { NextcloudEmulator } from './nextcloud/emulator.js';

const BURST = 30;
const PER_USER = 5;
const PER_ADDRESS = 20;
const TOO_MANY = /Too many failed sign-ins/;
const WRONG = /Wrong username or password/;
const ALLOW = /Allow access/;

interface Guess {
  username: string;
  password: string;
}

/** Opens a sign-in page as a browser behind the trusted proxy at `address`. */
async function openLoginFrom(p: TestPostern, clientId: string, address: string) {
  const browser = new TestBrowser({ 'x-forwarded-for': address });
  const page = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, clientId), {}, REDIRECT);
  assert.equal(page.status, 200, page.html.slice(0, 500));
  return { browser, page };
}

/** Posts every guess to one sign-in page from `address`, all at once. */
async function burst(p: TestPostern, clientId: string, address: string, guesses: Guess[]): Promise<Page[]> {
  const { browser, page } = await openLoginFrom(p, clientId, address);
  return Promise.all(guesses.map((guess) => browser.submit(page, '/login', { ...guess }, REDIRECT)));
}

/** One sign-in on a fresh page from `address`. */
async function signIn(p: TestPostern, clientId: string, address: string, guess: Guess): Promise<Page> {
  return (await burst(p, clientId, address, [guess]))[0];
}

/** The answers of a burst by kind: wrong password (the password was checked) and refused (429, with Retry-After). */
function tally(pages: Page[]) {
  const checked = pages.filter((page) => page.status === 401 && WRONG.test(page.html)).length;
  const refused = pages.filter((page) => page.status === 429 && TOO_MANY.test(page.html));
  for (const page of refused) {
    const wait = Number(page.headers.get('retry-after'));
    assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= 900, `Retry-After ${page.headers.get('retry-after')}`);
  }
  assert.equal(checked + refused.length, pages.length, `only 401 and 429: ${pages.map((page) => page.status).join(' ')}`);
  return { checked, refused: refused.length };
}

const guesses = (n: number, guess: (i: number) => Guess) => Array.from({ length: n }, (_, i) => guess(i));

function localBursts(storeName: string, store: () => Promise<{ config: Record<string, unknown>; drop(): Promise<void> }>) {
  describe(`password guesses at once, local users (${storeName})`, () => {
    let p: TestPostern;
    let clientId: string;
    let drop = async () => {};

    before(async () => {
      const chosen = await store();
      drop = chosen.drop;
      p = await startTestPostern({ mcpServers: {}, server: { port: 0, trustProxy: true }, ...chosen.config });
      clientId = (await register(p.issuer)).body.client_id;
      const users = new LocalUsers(p.store);
      await users.setPassword('victim', 'the-right-password', { create: true });
      await users.setPassword('carol', 'carols-password', { create: true });
    });
    after(async () => {
      await p.destroy();
      await drop();
    });

    const failures = async (subject: string) => (await p.store.queryAudit({ action: 'login_failed', subject, limit: 1000 })).length;

    it(`${BURST} wrong passwords for one username at once: ${PER_USER} are checked, the rest get 429; the right one is then refused too`, async () => {
      const pages = await burst(
        p,
        clientId,
        '198.51.100.10',
        guesses(BURST, (i) => ({ username: 'victim', password: `guess-${i}` })),
      );
      assert.deepEqual(tally(pages), { checked: PER_USER, refused: BURST - PER_USER });
      await until(async () => (await failures('victim')) >= PER_USER, 5000, 'the failures in the audit trail');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(await failures('victim'), PER_USER, 'the audit trail has exactly the checked attempts');
      const locked = await signIn(p, clientId, '198.51.100.11', { username: 'victim', password: 'the-right-password' });
      assert.equal(locked.status, 429);
      assert.match(locked.html, TOO_MANY);
      // Another account from the address of the burst is not locked by it.
      assert.match((await signIn(p, clientId, '198.51.100.10', { username: 'admin', password: p.password })).html, ALLOW);
    });

    it(`${BURST} usernames sprayed at once from one address: ${PER_ADDRESS} are checked, the rest get 429`, async () => {
      const pages = await burst(
        p,
        clientId,
        '198.51.100.20',
        guesses(BURST, (i) => ({ username: `spray-${i}`, password: 'x' })),
      );
      assert.deepEqual(tally(pages), { checked: PER_ADDRESS, refused: BURST - PER_ADDRESS });
      assert.equal((await signIn(p, clientId, '198.51.100.20', { username: 'admin', password: p.password })).status, 429, 'the address is blocked');
    });

    it("a success clears the username's count and gives back only its own attempt of the address", async () => {
      const address = '198.51.100.30';
      // A username's count: cleared by each success.
      for (let round = 0; round < 2; round++) {
        const pages = await burst(
          p,
          clientId,
          address,
          guesses(PER_USER - 1, (i) => ({ username: 'carol', password: `guess-${round}-${i}` })),
        );
        assert.deepEqual(tally(pages), { checked: PER_USER - 1, refused: 0 });
        assert.match((await signIn(p, clientId, address, { username: 'carol', password: 'carols-password' })).html, ALLOW, `round ${round + 1}`);
      }
      // The address: 8 failures so far; 11 more at once make 19, a success takes none, the 20th failure is the last.
      const more = await burst(
        p,
        clientId,
        address,
        guesses(PER_ADDRESS - 2 * (PER_USER - 1) - 1, (i) => ({ username: `other-${i}`, password: 'x' })),
      );
      assert.equal(tally(more).refused, 0);
      assert.match((await signIn(p, clientId, address, { username: 'admin', password: p.password })).html, ALLOW);
      assert.equal((await signIn(p, clientId, address, { username: 'last', password: 'x' })).status, 401, 'the success took no point of the address');
      const blocked = await signIn(p, clientId, address, { username: 'admin', password: p.password });
      assert.equal(blocked.status, 429, "the successes did not hide the address's failures");
    });
  });
}

localBursts('SQLite', async () => ({ config: {}, drop: async () => {} }));
localBursts('PostgreSQL', async () => {
  const schema: PgSchema = await pgSchema();
  return { config: { store: { driver: 'postgres', url: schema.url } }, drop: () => schema.drop() };
});

describe('password guesses at once, Nextcloud users (emulator)', () => {
  const nc = new NextcloudEmulator();
  const APP_PASSWORD = 'Xk3pQ-7mZr2-Lw9sT-Hb4nV-Ee8cY';
  let p: TestPostern;
  let clientId: string;

  before(async () => {
    nc.addUser({ id: 'alice', displayname: 'Alice', email: null, groups: [], appPasswords: [APP_PASSWORD] });
    nc.addUser({ id: 'bob', displayname: 'Bob', email: null, groups: [], appPasswords: ['bob-app-password-1'] });
    await nc.start();
    p = await startTestPostern({
      mcpServers: {},
      server: { port: 0, trustProxy: true },
      identity: { local: { enabled: false }, nextcloud: { url: nc.url } },
    });
    clientId = (await register(p.issuer)).body.client_id;
  });
  after(async () => {
    await p.destroy();
    await nc.stop();
  });

  /** Sign-ins that reached Nextcloud's user endpoint so far. */
  const askedNextcloud = () => nc.requests.filter((r) => r.path === '/ocs/v2.php/cloud/user').length;

  it(`${BURST} wrong app passwords for one user at once: Nextcloud is asked ${PER_USER} times, the rest get 429`, async () => {
    const asked = askedNextcloud();
    const pages = await burst(
      p,
      clientId,
      '203.0.113.10',
      guesses(BURST, (i) => ({ username: 'alice', password: `guess-${i}` })),
    );
    assert.deepEqual(tally(pages), { checked: PER_USER, refused: BURST - PER_USER });
    assert.equal(askedNextcloud() - asked, PER_USER);
    const locked = await signIn(p, clientId, '203.0.113.11', { username: 'alice', password: APP_PASSWORD });
    assert.equal(locked.status, 429);
    assert.equal(askedNextcloud() - asked, PER_USER, 'a locked user is not asked of Nextcloud');
  });

  it(`${BURST} users sprayed at once from one address: Nextcloud is asked ${PER_ADDRESS} times`, async () => {
    const asked = askedNextcloud();
    const pages = await burst(
      p,
      clientId,
      '203.0.113.20',
      guesses(BURST, (i) => ({ username: `spray-${i}`, password: 'x' })),
    );
    assert.deepEqual(tally(pages), { checked: PER_ADDRESS, refused: BURST - PER_ADDRESS });
    assert.equal(askedNextcloud() - asked, PER_ADDRESS);
  });

  it('after failures the right app password still signs in, and attempts Nextcloud could not answer count for nothing', async () => {
    const address = '203.0.113.30';
    const pages = await burst(
      p,
      clientId,
      address,
      guesses(PER_USER - 1, (i) => ({ username: 'bob', password: `guess-${i}` })),
    );
    assert.deepEqual(tally(pages), { checked: PER_USER - 1, refused: 0 });
    assert.match((await signIn(p, clientId, address, { username: 'bob', password: 'bob-app-password-1' })).html, ALLOW);

    nc.routes.set('GET /ocs/v2.php/cloud/user', (_req, res) => {
      res.writeHead(503, { 'content-type': 'text/html' });
      res.end('<html><body>Service unavailable</body></html>');
    });
    try {
      for (let i = 0; i < PER_USER + 2; i++) {
        const down = await signIn(p, clientId, address, { username: 'bob', password: 'bob-app-password-1' });
        assert.equal(down.status, 503, `attempt ${i + 1}: ${down.html.slice(0, 300)}`);
        assert.match(down.html, /Sign-in is unavailable right now/);
      }
    } finally {
      nc.routes.delete('GET /ocs/v2.php/cloud/user');
    }
    assert.match((await signIn(p, clientId, address, { username: 'bob', password: 'bob-app-password-1' })).html, ALLOW);
  });
});
