// Nextcloud as an identity source, password form: the real login page, checked against the
// Nextcloud emulator's OCS user endpoint; groups become roles; a typed app password (the emulator,
// like Nextcloud, mints no app password from one) is kept only sealed, as the user's link.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Sealer } from '../src/identity/sealed.js';
import { TestBrowser } from './helpers/browser.js';
import { authorizeUrl, REDIRECT, register, tokenRequest } from './helpers/flow.js';
import { connectWithOAuth, MemoryOAuthProvider } from './helpers/oauth-client.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';
import { NextcloudEmulator } from './nextcloud/emulator.js';

const APP_PASSWORD = 'Xk3pQ-7mZr2-Lw9sT-Hb4nV-Ee8cY';

describe('Nextcloud password sign-in', () => {
  const nc = new NextcloudEmulator();
  let p: TestPostern;

  before(async () => {
    nc.addUser({ id: 'alice', displayname: 'Alice Liddell', email: 'alice@example.org', groups: ['admin', 'staff'], appPasswords: [APP_PASSWORD] });
    nc.addUser({ id: 'bob', displayname: 'Bob', email: null, groups: [], appPasswords: ['bob-app-password-1'], enabled: false });
    await nc.start();
    p = await startTestPostern({
      identity: { nextcloud: { url: `${nc.url}/` }, groupRoles: { admin: ['admin'], staff: ['reader'] } },
    });
  });
  after(async () => {
    await p.destroy();
    await nc.stop();
  });

  it('signs a Nextcloud user in with an app password, through the SDK client', async () => {
    const provider = new MemoryOAuthProvider();
    const { client, signedIn } = await connectWithOAuth(p.mcpUrl, provider, { username: 'alice', password: APP_PASSWORD });
    try {
      assert.ok(signedIn);
      assert.ok((await client.listTools()).tools.length > 0);
    } finally {
      await client.close();
    }
    const call = nc.requests.find((r) => r.user === 'alice');
    assert.deepEqual(call, { path: '/ocs/v2.php/cloud/user', ocsHeader: true, user: 'alice' });
    const checked = await p.guard!.check(`Bearer ${provider.savedTokens!.access_token}`);
    assert.ok(checked.ok);
    assert.equal(checked.caller.subject, 'nextcloud:alice');
    assert.deepEqual(checked.caller.roles.sort(), ['admin', 'reader']);
  });

  it('keeps the typed app password only sealed, as the link Nextcloud refused to mint another from', async () => {
    const bytes = readdirSync(p.dataDir)
      .filter((f) => f.startsWith('postern.db'))
      .map((f) => readFileSync(path.join(p.dataDir, f)).toString('latin1'))
      .join('');
    assert.ok(!bytes.includes(APP_PASSWORD), 'never in clear');
    assert.ok(bytes.includes('Alice Liddell'), 'the account itself is recorded');
    assert.ok(
      nc.requests.some((r) => r.path === '/ocs/v2.php/core/getapppassword' && r.user === 'alice'),
      'asked Nextcloud for an app password',
    );
    const sealed = await p.store.getCredential('nextcloud:alice', 'nextcloud');
    const secret = readFileSync(path.join(p.dataDir, 'secret'), 'utf8').trim();
    assert.deepEqual(JSON.parse(new Sealer(secret).open(sealed!, 'nextcloud:alice')), { loginName: 'alice', appPassword: APP_PASSWORD, typed: true });
    assert.deepEqual(nc.users.get('alice')!.appPasswords, [APP_PASSWORD], 'a typed app password is never deleted');
  });

  it('offers both kinds of account on the login page and refuses wrong or disabled users', async () => {
    const { body: client } = await register(p.issuer);
    const browser = new TestBrowser();
    const page = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, client.client_id), {}, REDIRECT);
    assert.match(page.html, /Sign in with: Postern account · Nextcloud/);
    const wrong = await browser.submit(page, '/login', { username: 'alice', password: 'not-the-app-password' }, REDIRECT);
    assert.equal(wrong.status, 401);
    assert.match(wrong.html, /Wrong username or password/);
    const disabled = await browser.submit(wrong, '/login', { username: 'bob', password: 'bob-app-password-1' }, REDIRECT);
    assert.equal(disabled.status, 401);
  });

  it('keeps issuing refreshed tokens from the recorded account while Nextcloud is down', async () => {
    const provider = new MemoryOAuthProvider();
    const { client } = await connectWithOAuth(p.mcpUrl, provider, { username: 'alice', password: APP_PASSWORD });
    await client.close();
    await nc.stop();
    const refreshed = await tokenRequest(p.issuer, {
      grant_type: 'refresh_token',
      refresh_token: provider.savedTokens!.refresh_token!,
      client_id: provider.info!.client_id,
    });
    assert.equal(refreshed.status, 200);

    // A new sign-in meanwhile says that Nextcloud is unreachable, without a 500.
    const { body: reg } = await register(p.issuer);
    const browser = new TestBrowser();
    const page = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, reg.client_id), {}, REDIRECT);
    const down = await browser.submit(page, '/login', { username: 'carol', password: 'whatever-password' }, REDIRECT);
    assert.equal(down.status, 503);
    assert.match(down.html, /Sign-in is unavailable right now: Nextcloud at .* did not answer/);
  });
});
