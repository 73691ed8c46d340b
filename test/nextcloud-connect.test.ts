// "Connect Nextcloud" on /account for a user of another identity source (a local user), in
// Chromium without JavaScript, against the real Nextcloud 34 fixture: sign in to the account page,
// Connect, grant access on Nextcloud's Login Flow pages (over HTTP, as the fixture has no browser
// UI), the page reloads itself until the link is stored, then Unlink deletes the app password at
// Nextcloud. Without a Nextcloud configured the page is 404.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { UpstreamCredentials } from '../src/identity/credentials.js';
import { NextcloudLinks } from '../src/identity/nextcloud/links.js';
import { Sealer } from '../src/identity/sealed.js';
import { chromiumMissing, launchChromium } from './helpers/chromium.js';
import { appPasswordWorks, ensureNextcloud, nextcloud } from './helpers/nextcloud.js';
import { grantLoginFlow } from './helpers/nextcloud-login-flow.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

const shots = path.resolve(import.meta.dirname, '../test-results');

describe('Connect Nextcloud on /account, in Chromium', { skip: chromiumMissing, timeout: 300_000 }, () => {
  let p: TestPostern;
  let browser: Browser;
  let links: NextcloudLinks;

  before(async () => {
    mkdirSync(shots, { recursive: true });
    await ensureNextcloud();
    // Nextcloud is no way to sign in here: only local users, who link a Nextcloud account.
    p = await startTestPostern({ identity: { nextcloud: { url: nextcloud.url, passwordLogin: false, loginFlow: false, timeoutMs: 30_000 } } });
    const secret = readFileSync(path.join(p.dataDir, 'secret'), 'utf8').trim();
    links = new NextcloudLinks(new UpstreamCredentials(p.store, new Sealer(secret)));
    browser = await launchChromium();
  });
  after(async () => {
    const left = await links?.get('local:admin');
    if (left)
      await fetch(`${nextcloud.url}/ocs/v2.php/core/apppassword`, {
        method: 'DELETE',
        headers: { authorization: `Basic ${Buffer.from(`${left.loginName}:${left.appPassword}`).toString('base64')}`, 'ocs-apirequest': 'true' },
      });
    await browser?.close();
    await p?.destroy();
  });

  it('links and unlinks a Nextcloud account for a local user, without JavaScript', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 900, height: 760 } });
    const page = await context.newPage();
    await page.goto(`${p.issuer}/account/nextcloud`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 15_000 });
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(p.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Nextcloud' }).waitFor({ timeout: 15_000 });
    assert.equal(new URL(page.url()).pathname, '/account/nextcloud', 'back on the page the user opened');
    await page.getByText('not linked to a Nextcloud account').waitFor();

    const shown = await page.reload();
    assert.match(shown?.headers()['content-security-policy'] ?? '', /frame-ancestors 'none'/);
    assert.equal(shown?.headers()['x-frame-options'], 'DENY');

    await page.getByRole('button', { name: 'Connect Nextcloud' }).click();
    await page.getByRole('heading', { name: 'Continue in Nextcloud' }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(shots, 'nextcloud-connect-waiting.png') });
    const loginUrl = await page.getByRole('link', { name: 'Open Nextcloud' }).getAttribute('href');
    assert.ok(loginUrl?.startsWith(`${nextcloud.url}/`), `the button leads to Nextcloud: ${loginUrl}`);
    await grantLoginFlow(loginUrl!, nextcloud.alice);

    // The waiting page reloads itself (meta refresh) until Nextcloud hands the app password over.
    await page.getByText('Linked to Nextcloud as alice').waitFor({ timeout: 60_000 });
    await page.screenshot({ path: path.join(shots, 'nextcloud-connect-linked.png') });
    const link = await links.get('local:admin');
    assert.ok(link, 'the link is stored for the local user');
    assert.equal(link.loginName, 'alice');
    assert.ok(await appPasswordWorks('alice', link.appPassword), 'its app password works at Nextcloud');

    // The account page points at it.
    await page.goto(`${p.issuer}/account`);
    await page.getByRole('link', { name: 'Connect Nextcloud' }).click();
    await page.getByText('Linked to Nextcloud as alice').waitFor();

    await page.getByRole('button', { name: 'Unlink' }).click();
    await page.getByText('not linked to a Nextcloud account').waitFor({ timeout: 15_000 });
    assert.equal(await links.get('local:admin'), undefined);
    assert.equal(await appPasswordWorks('alice', link.appPassword), false, 'unlinking deleted the app password at Nextcloud');
    await context.close();
  });

  it('refuses a post without the CSRF token and a wrong method', async () => {
    const cookieless = await fetch(`${p.issuer}/account/nextcloud/connect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'csrf=x',
    });
    assert.equal(cookieless.status, 401, 'no session, no link');
    const get = await fetch(`${p.issuer}/account/nextcloud/unlink`);
    assert.equal(get.status, 405);
  });

  it('is 404 where no Nextcloud is configured', async () => {
    const plain = await startTestPostern();
    try {
      const res = await fetch(`${plain.issuer}/account/nextcloud`, { redirect: 'manual' });
      assert.equal(res.status, 404);
      assert.match(await res.text(), /identity\.nextcloud\.url/);
    } finally {
      await plain.destroy();
    }
  });
});
