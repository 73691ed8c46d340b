// The admin console driven in Debian's Chromium, one page at a time, as an admin uses it: each
// change is checked where it takes effect (a new user signs in, a withdrawn grant's token and a
// revoked client's token are refused at /mcp, a restarted backend is back, a created static token
// works until it is revoked, a rotated key signs new tokens, the audit search and its exports find
// the admin's own changes), and a user without the admin role gets 403.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from './helpers/chromium.js';
import { LocalUsers } from '../src/identity/local/users.js';
import { authorizeInBrowser } from './helpers/browser.js';
import { authorizeUrl, fullFlow, mcpInitialize, pkce, REDIRECT, redeem, register } from './helpers/flow.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';
import { until } from './helpers/until.js';

const SECRET = 'admin-console-test-secret-0123456789abcdef';
const WAIT = { timeout: 20_000 };

async function signIn(context: BrowserContext, p: TestPostern, path: string, username: string, password: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${p.issuer}${path}`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState();
  return page;
}

async function mcpStatus(p: TestPostern, token: string): Promise<number> {
  const res = await mcpInitialize(p.mcpUrl, token);
  await res.body?.cancel();
  return res.status;
}

describe('admin console in Chromium', { skip: chromiumMissing }, () => {
  let p: TestPostern;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    p = await startTestPostern({ auth: { secret: SECRET } });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await signIn(context, p, '/admin', 'admin', p.password);
    await page.getByRole('heading', { name: 'Users', exact: true }).waitFor(WAIT);
  });
  after(async () => {
    await browser?.close();
    await p?.destroy();
  });

  const notice = async () => (await page.getByRole('status').textContent(WAIT)) ?? '';
  const open = async (path: string, heading: string) => {
    await page.goto(`${p.issuer}/admin/${path}`);
    await page.getByRole('heading', { name: heading, exact: true }).waitFor(WAIT);
  };

  it('Users: adds a user with a password shown once, who can then sign in, and gets 403 here', async () => {
    await open('users', 'Users');
    await page.getByLabel('Username').fill('carol');
    await page.getByLabel('Roles', { exact: true }).fill('dev');
    await page.getByRole('button', { name: 'Add user' }).click();
    assert.match(await notice(), /User carol added/);
    const password = (await page.locator('code.secret').textContent()) ?? '';
    assert.ok(password.length >= 16);
    assert.deepEqual((await p.store.getUser('carol'))?.roles, ['dev']);
    await page.reload();
    assert.equal(await page.locator('code.secret').count(), 0, 'shown only once');

    // Reset: a new password, shown once; the old one stops working.
    await page.locator('tr', { hasText: 'carol' }).getByRole('button', { name: 'Reset password' }).click();
    assert.match(await notice(), /Password of carol reset/);
    const reset = (await page.locator('code.secret').textContent()) ?? '';
    assert.ok(reset.length >= 16 && reset !== password);
    const users = new LocalUsers(p.store);
    assert.equal(await users.verifyPassword('carol', password), undefined);

    const other = await browser.newContext();
    const account = await signIn(other, p, '/account', 'carol', reset);
    await account.getByRole('heading', { name: 'Connected apps' }).waitFor(WAIT);
    const admin = await account.goto(`${p.issuer}/admin/users`);
    assert.equal(admin?.status(), 403, 'carol has no admin role');
    await account.getByRole('heading', { name: 'Admins only' }).waitFor(WAIT);
    await other.close();
  });

  it('Users: disabling a user withdraws their grants; roles are saved', async () => {
    const password = await new LocalUsers(p.store).setPassword('erin', undefined, { create: true, roles: [] });
    const { tokens } = await fullFlowAs(p, 'erin', password);
    assert.equal(await mcpStatus(p, tokens.body.access_token), 200);
    await open('users', 'Users');
    const row = page.locator('tr', { hasText: 'erin' });
    await row.getByLabel('Roles of erin').fill('dev, ops');
    await row.getByRole('button', { name: 'Save roles' }).click();
    assert.match(await notice(), /Roles of erin: dev, ops; 1 grant\(s\) withdrawn/);
    assert.deepEqual((await p.store.getUser('erin'))?.roles, ['dev', 'ops']);
    assert.equal(await mcpStatus(p, tokens.body.access_token), 401, 'no token keeps the old roles');
    await page.locator('tr', { hasText: 'erin' }).getByRole('button', { name: 'Disable' }).click();
    assert.match(await notice(), /User erin disabled/);
    assert.equal((await p.store.getUser('erin'))?.disabled, true);
    await page.locator('tr', { hasText: 'erin' }).getByRole('button', { name: 'Enable' }).click();
    assert.match(await notice(), /User erin enabled/);
  });

  it('Grants: withdrawing a grant ends its token at /mcp', async () => {
    const { clientId, tokens } = await fullFlow(p.issuer, p.mcpUrl, p.password);
    assert.equal(await mcpStatus(p, tokens.body.access_token), 200);
    await open(`grants?client=${encodeURIComponent(clientId)}`, 'Grants');
    const row = page.locator('tbody tr');
    assert.equal(await row.count(), 1, 'the filter shows this client’s one grant');
    assert.equal(await row.locator(`span[title="${clientId}"]`).count(), 1);
    await row.getByRole('button', { name: 'Withdraw' }).click();
    assert.match(await notice(), /withdrawn/);
    assert.equal(await mcpStatus(p, tokens.body.access_token), 401);
    assert.equal(await page.locator(`span[title="${clientId}"]`).count(), 0);
  });

  it('Clients: lists a client with its grant count and last use; revoking deletes it and ends its tokens', async () => {
    const { clientId, tokens } = await fullFlow(p.issuer, p.mcpUrl, p.password);
    assert.equal(await mcpStatus(p, tokens.body.access_token), 200);
    await open('clients', 'Clients');
    const row = page.locator('tr', { hasText: clientId });
    const cells = await row.locator('td').allTextContents();
    assert.equal(cells[1], 'registered');
    assert.equal(cells[2], '1', 'one grant');
    assert.match(cells[3], /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/, 'last use from the audit trail');
    await row.getByRole('button', { name: 'Revoke and delete' }).click();
    assert.match(await notice(), /1 grant\(s\) withdrawn, registration deleted/);
    assert.equal(await p.store.oidcFind('Client', clientId), undefined);
    assert.equal(await mcpStatus(p, tokens.body.access_token), 401);
  });

  it('Backends: shows state, era and tools with the verdicts, and restarts a backend', async () => {
    await open('backends', 'Backends');
    const row = page.locator('tr', { hasText: 'everything' }).first();
    assert.match((await row.textContent()) ?? '', /ready/);
    assert.ok((await page.locator('td code', { hasText: 'everything__echo' }).count()) >= 1, 'the tool list');
    const before = p.registry.backends.get('everything')!;
    const oldLists = before.lists;
    await row.getByRole('button', { name: 'Restart' }).click();
    assert.match(await notice(), /Backend everything restarted: ready/);
    assert.notEqual(before.lists, oldLists, 'the lists were fetched again from a new connection');
    assert.equal(p.registry.status().find((b) => b.name === 'everything')?.state, 'ready');
  });

  it('Static tokens: creates one, shown once, which works at /mcp until it is revoked', async () => {
    await open('tokens', 'Static tokens');
    await page.getByLabel('Name').fill('ci-bot');
    await page.getByLabel('Roles', { exact: true }).fill('dev');
    await page.getByRole('button', { name: 'Create token' }).click();
    assert.match(await notice(), /Token ci-bot created/);
    const token = (await page.locator('code.secret').textContent()) ?? '';
    assert.match(token, /^pst_/);
    assert.equal(await mcpStatus(p, token), 200);
    await page.locator('tr', { hasText: 'ci-bot' }).getByRole('button', { name: 'Revoke' }).click();
    assert.match(await notice(), /Token ci-bot revoked/);
    assert.equal(await mcpStatus(p, token), 401, 'refused at once');
  });

  it('Keys: rotating makes a new key sign new tokens while old tokens still work', async () => {
    const old = await fullFlow(p.issuer, p.mcpUrl, p.password);
    const oldKid = decodeProtectedHeader(old.tokens.body.access_token).kid;
    await open('keys', 'Keys');
    await page.getByRole('button', { name: 'Rotate signing key' }).click();
    const text = await notice();
    const newKid = /New signing key (\S+);/.exec(text)?.[1];
    assert.ok(newKid && newKid !== oldKid, text);
    await until(
      async () => {
        const fresh = await fullFlow(p.issuer, p.mcpUrl, p.password);
        return decodeProtectedHeader(fresh.tokens.body.access_token).kid === newKid;
      },
      10_000,
      'tokens signed with the new key',
    );
    assert.equal(await mcpStatus(p, old.tokens.body.access_token), 200, 'tokens of the old key still verify');
    assert.equal(await page.locator('tr', { hasText: oldKid! }).count(), 1, 'the old key is listed as kept');
  });

  it('Audit: finds the admin’s changes by user, tool and outcome, pages, and exports JSON lines and CSV', async () => {
    await open('audit?user=local%3Aadmin&tool=token.create', 'Audit');
    const rows = page.locator('tbody tr');
    assert.equal(await rows.count(), 1);
    assert.match((await rows.first().textContent()) ?? '', /token\.create.*local:admin.*ci-bot/s);
    await page.getByLabel('Tool or event').fill('');
    await page.getByLabel('Outcome').selectOption('error');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/outcome=error/);
    const errors = await page.locator('tbody tr').allTextContents();
    assert.ok(
      errors.every((r) => /\/ error/.test(r)),
      'only failed lines',
    );

    await page.getByLabel('Outcome').selectOption('');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL((u) => !u.search.includes('outcome=error'));
    const [jsonl] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'JSON lines' }).click()]);
    const lines = readFileSync(await jsonl.path(), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(lines.length >= 8, `${lines.length} lines`);
    assert.ok(lines.every((l) => l.subject === 'local:admin'));
    for (const action of [
      'user.add',
      'user.reset_password',
      'user.roles',
      'user.disable',
      'grant.withdraw',
      'client.revoke',
      'backend.restart',
      'token.revoke',
      'keys.rotate',
    ]) {
      assert.ok(
        lines.some((l) => l.kind === 'admin' && l.action === action),
        `${action} audited`,
      );
    }
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'CSV' }).click()]);
    const csvLines = readFileSync(await csv.path(), 'utf8')
      .trim()
      .split('\r\n');
    assert.equal(csvLines[0], 'time,kind,action,subject,client,decision,outcome,latencyMs,detail');
    assert.equal(csvLines.length, lines.length + 1);

    // Paging: more than a page of lines, then "Older" leads to the rest.
    for (let i = 0; i < 55; i++)
      p.store.addAudit({ time: Date.now(), kind: 'mcp', action: 'paging__probe', subject: 'local:pager', decision: 'allow', outcome: 'ok' });
    await open('audit?user=local%3Apager', 'Audit');
    assert.equal(await page.locator('tbody tr').count(), 50);
    await page.getByRole('link', { name: 'Older →' }).click();
    await page.waitForURL(/page=2/);
    assert.equal(await page.locator('tbody tr').count(), 5);
  });

  it('refuses a form posted to the console from another site, with or without a guessed CSRF token', async () => {
    // Another site (localhost is not the same site as 127.0.0.1) with forms aimed at the console.
    const evil = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><title>Evil</title>
<form method="post" action="${p.issuer}/admin/tokens/create"><input type="hidden" name="name" value="evil"><button>Plain</button></form>
<form method="post" action="${p.issuer}/admin/tokens/create"><input type="hidden" name="name" value="evil2"><input type="hidden" name="csrf" value="guess"><button>Guessed</button></form>`);
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
    try {
      const evilPage = await context.newPage();
      for (const button of ['Plain', 'Guessed']) {
        await evilPage.goto(`http://localhost:${(evil.address() as AddressInfo).port}/`);
        const [answer] = await Promise.all([
          evilPage.waitForResponse((r) => r.url().endsWith('/admin/tokens/create')),
          evilPage.getByRole('button', { name: button }).click(),
        ]);
        assert.ok(answer.status() === 401 || answer.status() === 403, `${button}: ${answer.status()}`);
      }
      assert.deepEqual(
        (await p.store.listStaticTokens()).filter((t) => t.name.startsWith('evil')),
        [],
        'no token was created',
      );
      await evilPage.close();
    } finally {
      evil.close();
    }
  });

  it('Configuration: shows the effective configuration with secrets redacted', async () => {
    await open('config', 'Effective configuration');
    const text = (await page.locator('pre.config').textContent()) ?? '';
    assert.match(text, /secret: "\[redacted\]"/);
    assert.ok(!text.includes(SECRET));
    assert.match(text, /accessTokenTtl: 3600/);
  });
});

/** The whole OAuth flow for a given local user. */
async function fullFlowAs(p: TestPostern, username: string, password: string) {
  const { body: client } = await register(p.issuer);
  const { verifier, challenge } = pkce();
  const { callback } = await authorizeInBrowser(authorizeUrl(p.issuer, p.mcpUrl, client.client_id, { code_challenge: challenge }), REDIRECT, {
    username,
    password,
  });
  return { clientId: client.client_id as string, tokens: await redeem(p.issuer, client.client_id, callback.searchParams.get('code')!, verifier) };
}
