// The admin console's long lists, over plain HTTP: a client with more grants than any page or
// batch is revoked completely and found by the grants page's client filter, and the users and
// clients pages page through every entry (nothing past a first screenful is out of reach).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestBrowser, type Page } from './helpers/browser.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
/** More than the grants page reads at once (10,000) and than a withdrawal's batch. */
const BULK = 10_001;

/** Every page of /admin/<path>, following "Next →" from the first. */
async function allPages(browser: TestBrowser, issuer: string, path: string): Promise<Page[]> {
  const pages: Page[] = [];
  let url: string | undefined = `${issuer}/admin/${path}`;
  while (url && pages.length < 100) {
    const page = await browser.go(url);
    assert.equal(page.status, 200, page.html.slice(0, 300));
    pages.push(page);
    const next = /<a href="([^"]+)">Next →<\/a>/.exec(page.html)?.[1];
    url = next && new URL(next.replace(/&amp;/g, '&'), issuer).toString();
  }
  return pages;
}

describe('admin console lists', () => {
  let p: TestPostern;
  let browser: TestBrowser;
  before(async () => {
    p = await startTestPostern({ mcpServers: {} });
    browser = new TestBrowser();
    const login = await browser.go(`${p.issuer}/admin/users`);
    const page = await browser.submit(login, '/login', { username: 'admin', password: p.password });
    assert.equal(page.status, 200);
  });
  after(() => p.destroy());

  it('revokes every grant of a client with more grants than any page, and filters the grants page by it', async () => {
    const expires = inAnHour();
    await p.store.oidcUpsert('Client', 'bulk-client', { client_id: 'bulk-client', client_name: 'Bulk app' });
    // Other clients' grants sort before and after the bulk client's: before, they used to take
    // places among the first 10,000 read; after, a client's grants were out of the page's reach.
    for (let i = 0; i < 3; i++) await p.store.oidcUpsert('Grant', `a-other-${i}`, { accountId: `local:o${i}`, clientId: 'other-client' }, expires);
    await p.store.oidcUpsert('Grant', 'zz-late', { accountId: 'local:late', clientId: 'late-client' }, expires);
    for (let i = 0; i < BULK; i++) {
      const id = `g-bulk-${String(i).padStart(6, '0')}`;
      await p.store.oidcUpsert('Grant', id, { accountId: `local:u${i}`, clientId: 'bulk-client' }, expires);
      await p.store.oidcUpsert('AccessToken', `at-${id}`, { grantId: id, accountId: `local:u${i}`, clientId: 'bulk-client' }, expires);
    }

    const unfiltered = await browser.go(`${p.issuer}/admin/grants`);
    assert.doesNotMatch(unfiltered.html, /zz-late|late-client/, 'past the first 10,000 grants');
    assert.match(unfiltered.html, /Shows the first 10000 grants;/);
    const late = await browser.go(`${p.issuer}/admin/grants?client=late-client`);
    assert.match(late.html, /local:late/, 'the client filter reads that client’s grants');
    assert.doesNotMatch(late.html, /local:u1\b|local:o1\b/);

    const clients = await browser.go(`${p.issuer}/admin/clients`);
    assert.match(clients.html, /bulk-client<\/code><\/td>\n?<td>registered<\/td><td>1000\+<\/td>/, 'counted up to 1000');
    const started = Date.now();
    const done = await browser.submit(clients, '/admin/clients/revoke', { client: 'bulk-client' });
    const ms = Date.now() - started;
    assert.equal(done.status, 200, done.html.slice(0, 300));
    assert.match(done.html, new RegExp(`Client bulk-client: ${BULK} grant\\(s\\) withdrawn, registration deleted\\.`));
    console.log(`# revoked ${BULK} grants of one client in ${ms} ms`);
    assert.deepEqual(await p.store.oidcGrantsOfClient('bulk-client'), [], 'no grant of the client is left');
    assert.equal(await p.store.oidcFind('AccessToken', `at-g-bulk-${String(BULK - 1).padStart(6, '0')}`), undefined, 'their tokens went with them');
    assert.equal((await p.store.oidcGrantsOfClient('other-client')).length, 3, 'other clients keep theirs');
    assert.equal((await p.store.oidcGrantsOfClient('late-client')).length, 1);
    const [line] = await p.store.queryAudit({ action: 'client.revoke', limit: 1 });
    assert.match(line.detail ?? '', new RegExp(`bulk-client grants_withdrawn=${BULK}`));
  });

  it('pages through every local user and remembered account', async () => {
    const now = Date.now();
    const names = Array.from({ length: 120 }, (_, i) => `pager${String(i).padStart(3, '0')}`);
    for (const username of names) await p.store.putUser({ username, passwordHash: 'x', roles: [], createdAt: now, updatedAt: now });
    const subjects = Array.from({ length: 70 }, (_, i) => `header:acct${String(i).padStart(3, '0')}`);
    for (const subject of subjects) await p.store.putAccount({ subject, groups: [], roles: [], updatedAt: 1 });

    const pages = await allPages(browser, p.issuer, 'users');
    assert.equal(pages.length, 3, '120 users and admin: 50 a page');
    assert.doesNotMatch(pages[0].html, /← Previous/);
    assert.match(pages[1].html, /href="\/admin\/users\?page=1">← Previous/);
    const seen = (re: RegExp) => new Set(pages.flatMap((pg) => [...pg.html.matchAll(re)].map((m) => m[1])));
    assert.deepEqual([...seen(/<strong>(pager\d{3})<\/strong>/g)].sort(), names, 'every user, once');
    assert.deepEqual([...seen(/<code class="long">(header:acct\d{3})<\/code>/g)].sort(), subjects, 'every account');
    assert.match(pages[2].html, /No more accounts\./);
    for (const bad of ['0', '-1', 'abc', '1e3', '100001']) assert.equal((await browser.go(`${p.issuer}/admin/users?page=${bad}`)).status, 400, bad);
  });

  it('pages through every stored client and every metadata-document client', async () => {
    const registered = Array.from({ length: 75 }, (_, i) => `reg-${String(i).padStart(3, '0')}`);
    for (const id of registered) await p.store.oidcUpsert('Client', id, { client_id: id, client_name: `App ${id}` });
    const documents = Array.from({ length: 60 }, (_, i) => `https://doc${String(i).padStart(3, '0')}.example/client.json`);
    for (const [i, id] of documents.entries()) await p.store.oidcUpsert('Grant', `doc-grant-${i}`, { accountId: 'local:admin', clientId: id }, inAnHour());

    const pages = await allPages(browser, p.issuer, 'clients');
    assert.ok(pages.length >= 2, `${pages.length} pages`);
    const seen = new Set(pages.flatMap((pg) => [...pg.html.matchAll(/<code class="long">([^<]+)<\/code>/g)].map((m) => m[1])));
    for (const id of [...registered, ...documents]) assert.ok(seen.has(id), `${id} is on a page`);
    assert.match(pages[0].html, /https:\/\/doc000\.example\/client\.json<\/code><\/td>\n?<td>metadata document<\/td><td>1<\/td>/);
    assert.equal((await browser.go(`${p.issuer}/admin/clients?page=x`)).status, 400);
  });
});
