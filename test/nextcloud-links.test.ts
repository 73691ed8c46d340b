// The Nextcloud link's life against the real Nextcloud 34 fixture: "Sign in with Nextcloud" three
// times leaves one app password (each sign-in deletes the one before); the password form with
// alice's real password mints an app password (the password itself is never stored); withdrawing
// the last app's grant on /account deletes the app password at Nextcloud, while another app's
// grant keeps it; a Nextcloud user can link only that same Nextcloud user.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UpstreamCredentials } from '../src/identity/credentials.js';
import { NextcloudLinks } from '../src/identity/nextcloud/links.js';
import { Sealer } from '../src/identity/sealed.js';
import { revokeGrant } from '../src/oauth/middleware.js';
import { TestBrowser, type Page } from './helpers/browser.js';
import { authorizeUrl, pkce, REDIRECT, redeem, register } from './helpers/flow.js';
import { appPasswordWorks, authTokensOf, ensureNextcloud, nextcloud } from './helpers/nextcloud.js';
import { grantLoginFlow } from './helpers/nextcloud-login-flow.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

const DEVICE = 'Postern MCP gateway';

/** Calls `check` every half second until it gives a value (pages poll Nextcloud; no need to hurry). */
async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('Nextcloud links against the real Nextcloud', { timeout: 600_000 }, () => {
  let p: TestPostern;
  let links: NextcloudLinks;
  const tokensBefore = new Set<number>();

  before(async () => {
    await ensureNextcloud();
    for (const t of await authTokensOf('alice')) tokensBefore.add(t.id);
    p = await startTestPostern({ identity: { nextcloud: { url: nextcloud.url, passwordLogin: true, loginFlow: true, timeoutMs: 30_000 } } });
    const secret = readFileSync(path.join(p.dataDir, 'secret'), 'utf8').trim();
    links = new NextcloudLinks(new UpstreamCredentials(p.store, new Sealer(secret)));
  });
  after(async () => {
    // Whatever link a failed test left: its app password is Postern's, so deleting it is ours to do.
    for (const subject of ['nextcloud:alice', 'nextcloud:bob']) {
      const link = await links?.get(subject);
      if (link && !link.typed)
        await fetch(`${nextcloud.url}/ocs/v2.php/core/apppassword`, { method: 'DELETE', headers: basic(link.loginName, link.appPassword) }).catch(() => {});
    }
    await p?.destroy();
  });

  /** "Sign in with Nextcloud" for a new client, granted as alice on Nextcloud's pages; returns the token response. */
  async function signInWithNextcloud(browser = new TestBrowser()) {
    const { body: client } = await register(p.issuer, { client_name: 'Login Flow client' });
    const { verifier, challenge } = pkce();
    const login = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, client.client_id, { code_challenge: challenge }), {}, REDIRECT);
    const waiting = await browser.submit(login, '/nextcloud', {}, REDIRECT);
    const loginUrl = /href="([^"]+\/login\/v2\/flow\/[^"]+)"/.exec(waiting.html)?.[1];
    assert.ok(loginUrl, waiting.html.slice(0, 1000));
    await grantLoginFlow(loginUrl.replace(/&amp;/g, '&'), nextcloud.alice);
    const waitUrl = new URL(/url=([^"]+)"/.exec(waiting.html)![1].replace(/&amp;/g, '&'), waiting.url).toString();
    const consent = await eventually(async () => {
      const page = await browser.go(waitUrl, {}, REDIRECT);
      return /Allow access/.test(page.html) && page;
    }, 'the consent page');
    const done = await browser.submit(consent, '/confirm', {}, REDIRECT);
    const tokens = await redeem(p.issuer, client.client_id, new URL(done.url).searchParams.get('code')!, verifier);
    assert.equal(tokens.status, 200);
    return { browser, client, tokens: tokens.body };
  }

  /** The password form with alice's login password, for a new client. */
  async function signInWithPassword(browser = new TestBrowser()) {
    const { body: client } = await register(p.issuer, { client_name: `Password client ${Math.random().toString(36).slice(2, 8)}` });
    const login = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, client.client_id), {}, REDIRECT);
    const consent = await browser.submit(login, '/login', { username: nextcloud.alice.user, password: nextcloud.alice.password }, REDIRECT);
    assert.match(consent.html, /Allow access/, consent.html.slice(0, 1000));
    const done = await browser.submit(consent, '/confirm', {}, REDIRECT);
    assert.ok(done.url.startsWith(REDIRECT));
    return { browser, client };
  }

  /** Withdraws the client's grant on /account in `browser` (signed in already). */
  async function withdraw(browser: TestBrowser, clientName: string): Promise<Page> {
    const account = await browser.go(`${p.issuer}/account`);
    assert.equal(account.status, 200, account.html.slice(0, 500));
    const item = account.html.split('<li>').find((li) => li.includes(clientName));
    assert.ok(item, `no grant of ${clientName} on /account`);
    const grant = /name="grant" value="([^"]+)"/.exec(item)![1];
    return browser.submit(account, '/account/withdraw', { grant });
  }

  it('keeps one app password when alice signs in with Nextcloud three times', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      await signInWithNextcloud();
      const link = await links.get('nextcloud:alice');
      assert.ok(link && !link.typed);
      assert.ok(!seen.includes(link.appPassword), 'a new app password each time');
      seen.push(link.appPassword);
    }
    assert.deepEqual(
      await Promise.all(seen.map((pw) => appPasswordWorks('alice', pw))),
      [false, false, true],
      'the replaced app passwords are deleted at Nextcloud',
    );
    const postern = (await authTokensOf('alice')).filter((t) => !tokensBefore.has(t.id) && t.name === DEVICE);
    console.log(`# alice's new "${DEVICE}" app passwords after three sign-ins: ${postern.length}`);
    assert.ok(postern.length >= 1);

    // The three apps' grants end (as an admin or /revoke would end them): the last one takes the link with it.
    for (const grant of await p.store.oidcGrantsOf('nextcloud:alice')) await revokeGrant(p.store, grant.id);
    await eventually(async () => !(await appPasswordWorks('alice', seen[2])), 'the app password deleted at Nextcloud', 30_000);
    assert.equal(await links.get('nextcloud:alice'), undefined);
  });

  it('mints an app password from the password form, stores only that, and withdrawing the last grant deletes it', async () => {
    const first = await signInWithPassword();
    const firstLink = await links.get('nextcloud:alice');
    assert.ok(firstLink, 'a link was stored');
    assert.equal(firstLink.loginName, 'alice');
    assert.notEqual(firstLink.appPassword, nextcloud.alice.password);
    assert.equal(firstLink.typed, undefined);
    assert.ok(await appPasswordWorks('alice', firstLink.appPassword), 'the minted app password works at Nextcloud');
    const newest = (await authTokensOf('alice')).filter((t) => !tokensBefore.has(t.id) && t.name === DEVICE);
    assert.ok(newest.length >= 1, `an app password named "${DEVICE}" exists at Nextcloud`);
    const bytes = readdirSync(p.dataDir)
      .filter((f) => f.startsWith('postern.db'))
      .map((f) => readFileSync(path.join(p.dataDir, f)).toString('latin1'))
      .join('');
    assert.ok(!bytes.includes(nextcloud.alice.password), 'the login password is never stored');
    assert.ok(!bytes.includes(firstLink.appPassword), 'the app password is stored only sealed');

    // A second app signs alice in: its app password replaces (and deletes) the first one.
    const second = await signInWithPassword();
    const secondLink = (await links.get('nextcloud:alice'))!;
    assert.notEqual(secondLink.appPassword, firstLink.appPassword);
    assert.equal(await appPasswordWorks('alice', firstLink.appPassword), false);

    // Withdrawing one app leaves the other's grant: the link stays.
    const clientName = (c: { client_name?: string }) => c.client_name!;
    await withdraw(first.browser, clientName(first.client));
    assert.deepEqual(await links.get('nextcloud:alice'), secondLink, 'kept while another app holds a grant');
    assert.ok(await appPasswordWorks('alice', secondLink.appPassword));

    // Withdrawing the last one deletes the app password at Nextcloud and the link.
    const after = await withdraw(second.browser, clientName(second.client));
    assert.equal(after.status, 200);
    await eventually(async () => !(await appPasswordWorks('alice', secondLink.appPassword)), 'the app password deleted at Nextcloud', 30_000);
    assert.equal(await links.get('nextcloud:alice'), undefined);
  });

  it('lets a Nextcloud user link only the same Nextcloud user on /account/nextcloud', async () => {
    const { browser } = await signInWithPassword();
    const before = (await links.get('nextcloud:alice'))!;
    const account = await browser.go(`${p.issuer}/account/nextcloud`);
    assert.equal(account.status, 200, account.html.slice(0, 500));
    assert.match(account.html, /Linked to Nextcloud as <strong>alice<\/strong>/);
    const forged = await browser.submit(account, '/account/nextcloud/connect', { csrf: 'forged' });
    assert.equal(forged.status, 403);
    const waiting = await browser.submit(account, '/account/nextcloud/connect');
    assert.equal(waiting.status, 200);
    const loginUrl = /href="([^"]+\/login\/v2\/flow\/[^"]+)"/.exec(waiting.html)![1].replace(/&amp;/g, '&');
    const bobsBefore = new Set((await authTokensOf('bob')).map((t) => t.id));
    await grantLoginFlow(loginUrl, nextcloud.bob);
    const refused = await eventually(async () => {
      const page = await browser.go(`${p.issuer}/account/nextcloud/wait`);
      return !/Waiting for Nextcloud/.test(page.html) && page;
    }, 'the end of the flow');
    assert.equal(refused.status, 403);
    assert.match(refused.html, /You signed in to Nextcloud as bob/);
    assert.deepEqual(await links.get('nextcloud:alice'), before, "alice's link is untouched");
    assert.ok(!(await authTokensOf('bob')).some((t) => !bobsBefore.has(t.id) && t.name === DEVICE), "bob's app password was deleted again at once");

    const unlinked = await browser.submit(account, '/account/nextcloud/unlink');
    assert.equal(unlinked.status, 200);
    assert.match(unlinked.html, /not linked to a Nextcloud account/);
    assert.equal(await appPasswordWorks('alice', before.appPassword), false, 'unlinking deletes the app password at Nextcloud');
  });
});

function basic(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`, 'ocs-apirequest': 'true' };
}
