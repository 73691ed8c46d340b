// The admin console's gate and its page rules, over plain HTTP: sign-in through /admin's own
// callback (sharing the browser's session with /account), 403 for a user without the admin role
// (and at once after the role is taken away), CSRF on every action, a cross-site post refused,
// the pages' security headers, and malformed query strings and forms that never get a 5xx.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { accountRoles, rememberAccount } from '../src/identity/accounts.js';
import { LocalUsers } from '../src/identity/local/users.js';
import { storePreregistered } from '../src/oauth/preregistered-clients.js';
import { TestBrowser, type Page } from './helpers/browser.js';
import { assertNoFraming } from './helpers/attack.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

const PAGES = ['users', 'clients', 'grants', 'backends', 'audit', 'tokens', 'keys', 'config'];

async function signIn(p: TestPostern, username: string, password: string, path = '/admin/users'): Promise<{ browser: TestBrowser; page: Page }> {
  const browser = new TestBrowser();
  const login = await browser.go(`${p.issuer}${path}`);
  assert.match(login.html, /Sign in/);
  const page = await browser.submit(login, '/login', { username, password });
  return { browser, page };
}

describe('admin console access', () => {
  let p: TestPostern;
  let admin: { browser: TestBrowser; page: Page };
  before(async () => {
    p = await startTestPostern({ mcpServers: {} });
    admin = await signIn(p, 'admin', p.password);
  });
  after(() => p.destroy());

  it('signs the admin in and shows every page with the pages’ security headers', async () => {
    assert.equal(admin.page.status, 200, admin.page.html.slice(0, 300));
    assert.match(admin.page.url, /\/admin\/users$/);
    for (const path of PAGES) {
      const page = await admin.browser.go(`${p.issuer}/admin/${path}`);
      assert.equal(page.status, 200, `${path}: ${page.html.slice(0, 300)}`);
      assertNoFraming(page.headers);
      assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      assert.doesNotMatch(page.html, /<script/i, `${path}: no scripts`);
      assert.match(page.html, /Signed in as <strong>local:admin<\/strong>/);
    }
    const root = await admin.browser.go(`${p.issuer}/admin`);
    assert.match(root.url, /\/admin\/users$/);
  });

  it('shares the browser session with /account: signed in for one, not asked again for the other', async () => {
    const account = await admin.browser.go(`${p.issuer}/account`);
    assert.equal(account.status, 200);
    assert.match(account.html, /Connected apps/);
  });

  it('refuses a user without the admin role with 403, and an admin at once when the role is taken away', async () => {
    const users = new LocalUsers(p.store);
    const password = await users.setPassword('dana', undefined, { create: true, roles: ['dev'] });
    const dana = await signIn(p, 'dana', password);
    assert.equal(dana.page.status, 403);
    assert.match(dana.page.html, /Admins only/);
    assert.match(dana.page.html, /local:dana/);
    await users.setRoles('dana', ['admin']);
    assert.equal((await dana.browser.go(`${p.issuer}/admin/users`)).status, 200, 'the role counts from the next request');
    await users.setRoles('dana', []);
    assert.equal((await dana.browser.go(`${p.issuer}/admin/users`)).status, 403);
    await users.setRoles('dana', ['admin']);
    await users.setDisabled('dana', true);
    assert.equal((await dana.browser.go(`${p.issuer}/admin/users`)).status, 403, 'a disabled admin is out at once');
  });

  it('refuses an action without the CSRF token, with another admin’s token, or posted cross-site without the cookie', async () => {
    const page = await admin.browser.go(`${p.issuer}/admin/tokens`);
    const missing = await admin.browser.submit(page, '/admin/tokens/create', { csrf: '', name: 'nope' });
    assert.equal(missing.status, 403);
    assert.match(missing.html, /CSRF/);
    const forged = await admin.browser.submit(page, '/admin/tokens/create', { csrf: 'AAAA', name: 'nope' });
    assert.equal(forged.status, 403);
    // A cross-site form post: the SameSite=Lax cookie stays behind, so there is no session.
    const crossSite = await fetch(`${p.issuer}/admin/tokens/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: 'name=nope',
    });
    assert.equal(crossSite.status, 401);
    assert.deepEqual(await p.store.listStaticTokens(), [], 'no token was created');
    const withToken = await admin.browser.submit(page, '/admin/tokens/create', { name: 'yes' });
    assert.equal(withToken.status, 200);
    assert.match(withToken.html, /pst_[A-Za-z0-9_-]{43}/);
  });

  it('asks a signed-out browser to sign in, and refuses a forged session cookie', async () => {
    const res = await fetch(`${p.issuer}/admin/users`, { redirect: 'manual' });
    assert.equal(res.status, 303);
    assert.match(res.headers.get('location') ?? '', /\/authorize\?.*redirect_uri=[^&]*%2Fadmin%2Fcallback/);
    const forged = await fetch(`${p.issuer}/admin/users`, { headers: { cookie: 'postern_admin=local%3Aadmin%7C9999999999.AAAA' }, redirect: 'manual' });
    assert.equal(forged.status, 303);
    // An /account cookie is no /admin cookie: each is signed for its own path.
    const accountCookie = admin.browser.jar.header(`${p.issuer}/account`) ?? '';
    const value = /postern_account=([^;]+)/.exec(accountCookie)?.[1];
    assert.ok(value);
    const swapped = await fetch(`${p.issuer}/admin/users`, { headers: { cookie: `postern_admin=${value}` }, redirect: 'manual' });
    assert.equal(swapped.status, 303);
  });

  it('adds roles to a remembered account, kept across its sign-ins', async () => {
    await p.store.putAccount({ subject: 'header:zoe', groups: [], roles: ['viewer'], updatedAt: 1 });
    const page = await admin.browser.go(`${p.issuer}/admin/users`);
    assert.match(page.html, /header:zoe/);
    const done = await admin.browser.submit(page, '/admin/users/account-roles', { subject: 'header:zoe', roles: 'ops, admin' });
    assert.equal(done.status, 200);
    assert.match(done.html, /Roles added to header:zoe: ops, admin/);
    await rememberAccount(p.store, { subject: 'header:zoe', groups: [], roles: ['viewer'] });
    const account = await p.store.getAccount('header:zoe');
    assert.deepEqual(account?.adminRoles, ['ops', 'admin'], 'a sign-in keeps the roles an admin added');
    assert.deepEqual(account && accountRoles(account), ['viewer', 'ops', 'admin']);
    const unknown = await admin.browser.submit(page, '/admin/users/account-roles', { subject: 'header:nobody', roles: 'x' });
    assert.equal(unknown.status, 404);
  });

  it('revokes a pre-registered client’s grants but keeps its registration', async () => {
    await storePreregistered(p.store, { id: 'web-connector', name: 'Web connector', redirectUris: ['https://connector.example/cb'] });
    const page = await admin.browser.go(`${p.issuer}/admin/clients`);
    assert.match(page.html, /Web connector[\s\S]*pre-registered/);
    const done = await admin.browser.submit(page, '/admin/clients/revoke', { client: 'web-connector' });
    assert.equal(done.status, 200);
    assert.match(done.html, /Client web-connector: 0 grant\(s\) withdrawn\./);
    assert.ok(await p.store.oidcFind('Client', 'web-connector'), 'still configured');
  });

  it('lists a metadata-document client by its grants, and revoking withdraws them', async () => {
    const id = 'https://app.example/oauth/client.json';
    await p.store.oidcUpsert('Grant', 'cimd-grant', { accountId: 'local:admin', clientId: id, kind: 'Grant' }, Math.floor(Date.now() / 1000) + 600);
    const page = await admin.browser.go(`${p.issuer}/admin/clients`);
    assert.match(page.html, /app\.example\/oauth\/client\.json<\/code><\/td>\n?<td>metadata document<\/td><td>1<\/td>/);
    const done = await admin.browser.submit(page, '/admin/clients/revoke', { client: id });
    assert.match(done.html, /1 grant\(s\) withdrawn\./);
    assert.equal(await p.store.oidcFind('Grant', 'cimd-grant'), undefined);
    assert.doesNotMatch(done.html, /metadata document/, 'gone from the list with its last grant');
  });

  it('answers malformed query strings, paths, methods and forms with 4xx or a page, never a 5xx', async () => {
    const queries = [
      '?%',
      '?%zz=1&%%%',
      '?page=-1',
      '?page=1e9',
      '?page=abc',
      '?from=yesterday',
      '?to=2026-13-45T99:99',
      '?outcome=maybe',
      `?user=${'x'.repeat(5000)}`,
      '?user=%00%ff%fe',
      '?client[]=a&client[]=b',
      '?format=exe',
    ];
    for (const path of PAGES) {
      for (const q of queries) {
        const page = await admin.browser.go(`${p.issuer}/admin/${path}${q}`);
        assert.ok(page.status < 500, `${path}${q}: ${page.status}`);
      }
    }
    for (const q of queries) {
      const res = await admin.browser.go(`${p.issuer}/admin/audit/export${q}`);
      assert.ok(res.status < 500, `export${q}: ${res.status}`);
    }
    const bad = await admin.browser.go(`${p.issuer}/admin/audit?from=yesterday`);
    assert.equal(bad.status, 400);
    assert.match(bad.html, /from: give a time/);
    for (const path of ['/admin/nope', '/admin/users/nope', '/admin/../etc', '/admin/USERS', '/admin/users/add/x', '/admin/users%2fadd']) {
      const page = await admin.browser.go(`${p.issuer}${path}`);
      assert.ok(page.status >= 400 && page.status < 500, `${path}: ${page.status}`);
    }
    const put = await admin.browser.go(`${p.issuer}/admin/users`, { method: 'PUT' });
    assert.equal(put.status, 405);
    const users = await admin.browser.go(`${p.issuer}/admin/users`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(users.html)?.[1] ?? '';
    const posts: Array<[string, string, string]> = [
      ['/admin/users/add', 'application/x-www-form-urlencoded', `csrf=${csrf}&username=bad%20name`],
      ['/admin/users/add', 'application/x-www-form-urlencoded', `csrf=${csrf}&username=ok&roles=%3Cscript%3E`],
      ['/admin/users/reset', 'application/x-www-form-urlencoded', `csrf=${csrf}&username=nobody`],
      ['/admin/users/disable', 'application/x-www-form-urlencoded', `csrf=${csrf}&username=admin`],
      ['/admin/users/roles', 'application/x-www-form-urlencoded', `csrf=${csrf}&username=admin&roles=dev`],
      ['/admin/grants/withdraw', 'application/x-www-form-urlencoded', `csrf=${csrf}&grant=nope`],
      ['/admin/clients/revoke', 'application/x-www-form-urlencoded', `csrf=${csrf}`],
      ['/admin/backends/restart', 'application/x-www-form-urlencoded', `csrf=${csrf}&backend=nope`],
      ['/admin/tokens/create', 'application/x-www-form-urlencoded', `csrf=${csrf}&name=..`],
      ['/admin/tokens/revoke', 'application/x-www-form-urlencoded', `csrf=${csrf}&name=nope`],
      ['/admin/users/add', 'application/json', JSON.stringify({ csrf, username: 'x' })],
      ['/admin/users/add', 'application/x-www-form-urlencoded', `csrf=${csrf}&username=${'a'.repeat(70_000)}`],
      ['/admin/config/x', 'application/x-www-form-urlencoded', `csrf=${csrf}`],
    ];
    for (const [path, type, body] of posts) {
      const res = await admin.browser.go(`${p.issuer}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
      assert.ok(res.status >= 400 && res.status < 500, `${path} ${body.slice(0, 60)}: ${res.status} ${res.html.slice(0, 200)}`);
    }
    assert.equal((await p.store.getUser('admin'))?.disabled, undefined, 'the admin did not disable themself');
    assert.deepEqual((await p.store.getUser('admin'))?.roles, ['admin'], 'nor took their own admin role');
  });
});
