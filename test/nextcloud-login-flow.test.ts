// Nextcloud Login Flow v2 through the real pages: "Sign in with Nextcloud", the waiting page
// polls until the user granted access at (emulated) Nextcloud, then consent and tokens. The app
// password Nextcloud hands over is stored sealed (AES-256-GCM), never in clear.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Sealer } from '../src/identity/sealed.js';
import { TestBrowser } from './helpers/browser.js';
import { connectWithOAuth, MemoryOAuthProvider } from './helpers/oauth-client.js';
import { authorizeUrl, pkce, REDIRECT, redeem, register } from './helpers/flow.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';
import { NextcloudEmulator } from './nextcloud/emulator.js';

describe('Nextcloud Login Flow v2', () => {
  const nc = new NextcloudEmulator();
  let p: TestPostern;

  before(async () => {
    nc.addUser({ id: 'alice', displayname: 'Alice', email: 'alice@example.org', groups: ['staff'], appPasswords: [] });
    await nc.start();
    p = await startTestPostern({
      identity: { local: { enabled: false }, nextcloud: { url: nc.url, passwordLogin: false, loginFlow: true }, groupRoles: { staff: ['reader'] } },
    });
  });
  after(async () => {
    await p.destroy();
    await nc.stop();
  });

  it('signs in without a password typed into Postern and seals the app password', async () => {
    const { body: client } = await register(p.issuer);
    const { verifier, challenge } = pkce();
    const browser = new TestBrowser();
    const login = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, client.client_id, { code_challenge: challenge }), {}, REDIRECT);
    assert.match(login.html, /Sign in with Nextcloud/);
    assert.doesNotMatch(login.html, /type="password"/, 'no password field when Nextcloud is the only way in');

    const waiting = await browser.submit(login, '/nextcloud', {}, REDIRECT);
    assert.equal(waiting.status, 200);
    assert.match(waiting.html, /Continue in Nextcloud/);
    assert.match(waiting.html, /http-equiv="refresh"/);
    const loginUrl = /href="([^"]+\/login\/v2\/flow\/[0-9a-f]+)"/.exec(waiting.html)![1];
    const waitUrl = new URL(/url=([^"]+)"/.exec(waiting.html)![1].replace(/&amp;/g, '&'), waiting.url).toString();

    // Not granted yet: still waiting.
    const still = await browser.go(waitUrl, {}, REDIRECT);
    assert.match(still.html, /Waiting for Nextcloud/);

    // The user signs in at Nextcloud and grants access (in another tab).
    nc.signedInAs = 'alice';
    const granted = await fetch(loginUrl);
    assert.equal(granted.status, 200);

    const consent = await browser.go(waitUrl, {}, REDIRECT);
    assert.match(consent.html, /Allow access/);
    assert.match(consent.html, /Alice/);
    const done = await browser.submit(consent, '/confirm', {}, REDIRECT);
    const code = new URL(done.url).searchParams.get('code')!;
    const tokens = await redeem(p.issuer, client.client_id, code, verifier);
    assert.equal(tokens.status, 200);
    const checked = await p.guard!.check(`Bearer ${tokens.body.access_token}`);
    assert.ok(checked.ok);
    assert.equal(checked.caller.subject, 'nextcloud:alice');
    assert.deepEqual(checked.caller.roles, ['reader']);

    // The app password Nextcloud issued is stored only sealed.
    const appPassword = nc.users.get('alice')!.appPasswords.at(-1)!;
    const sealed = await p.store.getCredential('nextcloud:alice', 'nextcloud');
    assert.ok(sealed && !sealed.includes(appPassword));
    const bytes = readdirSync(p.dataDir)
      .filter((f) => f.startsWith('postern.db'))
      .map((f) => readFileSync(path.join(p.dataDir, f)).toString('latin1'))
      .join('');
    assert.ok(!bytes.includes(appPassword), 'not in the database in clear');
    const secret = readFileSync(path.join(p.dataDir, 'secret'), 'utf8').trim();
    assert.deepEqual(JSON.parse(new Sealer(secret).open(sealed!, 'nextcloud:alice')), { loginName: 'alice', appPassword });
    assert.throws(() => new Sealer(secret).open(sealed!, 'nextcloud:mallory'), 'bound to its subject');
    assert.throws(() => new Sealer('another-secret-another-secret-xx').open(sealed!, 'nextcloud:alice'), 'useless without the secret');
  });

  it('works end to end with the SDK client', async () => {
    const provider = new MemoryOAuthProvider();
    nc.signedInAs = 'alice';
    const { client, signedIn } = await connectWithOAuth(p.mcpUrl, provider, async (url, prefix) => {
      const browser = new TestBrowser();
      const login = await browser.go(url, {}, prefix);
      const waiting = await browser.submit(login, '/nextcloud', {}, prefix);
      await fetch(/href="([^"]+\/login\/v2\/flow\/[0-9a-f]+)"/.exec(waiting.html)![1]);
      const consent = await browser.go(new URL(/url=([^"]+)"/.exec(waiting.html)![1].replace(/&amp;/g, '&'), waiting.url).toString(), {}, prefix);
      return new URL((await browser.submit(consent, '/confirm', {}, prefix)).url);
    });
    try {
      assert.ok(signedIn);
      assert.ok((await client.listTools()).tools.length > 0);
    } finally {
      await client.close();
    }
  });

  it('says so when Nextcloud cannot be reached, without a 500', async () => {
    const { body: client } = await register(p.issuer);
    const browser = new TestBrowser();
    const login = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, client.client_id), {}, REDIRECT);
    await nc.stop();
    const down = await browser.submit(login, '/nextcloud', {}, REDIRECT);
    assert.equal(down.status, 503);
    assert.match(down.html, /Sign-in is unavailable right now/);
  });
});
