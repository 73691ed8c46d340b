// Attack family: the sign-in and consent forms — CSRF on login and consent, posts from another browser, skipped steps, malformed posts, brute force.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { LocalUsers } from '../src/identity/local/users.js';
import { TestBrowser } from './helpers/browser.js';
import { register, REDIRECT } from './helpers/flow.js';
import { assertRefusedPage, openConsent, openLogin, usePostern } from './helpers/attack.js';

const CSRF_FAILED = /CSRF check failed/;
const OTHER_BROWSER = /expired or was opened in another browser/;

describe('attacks on the sign-in and consent forms', () => {
  const at = usePostern();
  let clientId: string;
  before(async () => {
    clientId = (await register(at.p.issuer)).body.client_id;
  });

  const credentials = () => ({ username: 'admin', password: at.p.password });

  it('login post without a CSRF token is refused and the flow stays at sign-in', async () => {
    const { browser, page } = await openLogin(at.p, clientId);
    assertRefusedPage(await browser.submit(page, '/login', { ...credentials(), csrf: '' }, REDIRECT), 403, CSRF_FAILED);
    assert.match((await browser.go(page.url)).html, /Sign in/);
  });

  it('login post with a forged CSRF token is refused', async () => {
    const { browser, page } = await openLogin(at.p, clientId);
    assertRefusedPage(await browser.submit(page, '/login', { ...credentials(), csrf: 'forged' }, REDIRECT), 403, CSRF_FAILED);
  });

  it('login post carrying the CSRF token of another sign-in is refused', async () => {
    const mine = await openLogin(at.p, clientId);
    const theirs = await openLogin(at.p, clientId);
    const stolen = /name="csrf" value="([^"]+)"/.exec(theirs.page.html)![1];
    assertRefusedPage(await mine.browser.submit(mine.page, '/login', { ...credentials(), csrf: stolen }, REDIRECT), 403, CSRF_FAILED);
  });

  it('login post from another browser (no interaction cookie) is refused', async () => {
    const { page } = await openLogin(at.p, clientId);
    assertRefusedPage(await new TestBrowser().submit(page, '/login', credentials(), REDIRECT), 400, OTHER_BROWSER);
  });

  it('consent Allow with a forged CSRF token is refused without a code', async () => {
    const { browser, page } = await openConsent(at.p, clientId);
    assertRefusedPage(await browser.submit(page, '/confirm', { csrf: 'forged' }, REDIRECT), 403, CSRF_FAILED);
    const honest = await browser.submit(page, '/confirm', {}, REDIRECT);
    assert.ok(new URL(honest.url).searchParams.get('code'), 'the real form still works');
  });

  it('consent Deny without a CSRF token is refused', async () => {
    const { browser, page } = await openConsent(at.p, clientId);
    assertRefusedPage(await browser.submit(page, '/abort', { csrf: '' }, REDIRECT), 403, CSRF_FAILED);
  });

  it('consent Allow posted from another browser is refused without a code', async () => {
    const { page } = await openConsent(at.p, clientId);
    assertRefusedPage(await new TestBrowser().submit(page, '/confirm', {}, REDIRECT), 400, OTHER_BROWSER);
  });

  it('consent Allow posted before signing in is refused', async () => {
    const { browser, page } = await openLogin(at.p, clientId);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)![1];
    const confirm = new URL(`${new URL(page.url).pathname}/confirm`, page.url).toString();
    const res = await browser.go(confirm, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `csrf=${csrf}` }, REDIRECT);
    assertRefusedPage(res, 400, /Nothing to confirm/);
  });

  it('wrong password shows an error and does not redirect', async () => {
    const { browser, page } = await openLogin(at.p, clientId);
    assertRefusedPage(await browser.submit(page, '/login', { username: 'admin', password: 'wrong-password' }, REDIRECT), 401, /Wrong username or password/);
  });

  it('malformed form posts are answered with 4xx pages', async () => {
    const { browser, page } = await openLogin(at.p, clientId);
    const action = new URL(/action="([^"]+\/login)"/.exec(page.html)![1], page.url).toString();
    assertRefusedPage(await browser.go(action, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }), 415, /x-www-form-urlencoded/);
    const big = await browser.go(action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `x=${'a'.repeat(40_000)}` });
    assertRefusedPage(big, 413, /too large/);
    const get = await browser.go(action);
    assertRefusedPage(get, 405, /Use POST/);
    assert.equal(get.headers.get('allow'), 'POST');
    assertRefusedPage(await browser.go(`${at.p.issuer}/interaction/doesnotexist`), 400, OTHER_BROWSER);
  });
});

describe('sign-in brute force', () => {
  const at = usePostern();
  let clientId: string;
  before(async () => {
    clientId = (await register(at.p.issuer)).body.client_id;
    await new LocalUsers(at.p.store).setPassword('victim', 'the-right-password', { create: true });
  });

  it('password guessing on one username locks it after 5 failures, even for the right password, with Retry-After', async () => {
    const { browser, page: first } = await openLogin(at.p, clientId);
    let page = first;
    for (let i = 0; i < 5; i++) {
      page = await browser.submit(page, '/login', { username: 'victim', password: `guess-${i}` }, REDIRECT);
      assertRefusedPage(page, 401, /Wrong username or password/);
    }
    const locked = await browser.submit(page, '/login', { username: 'victim', password: 'the-right-password' }, REDIRECT);
    assertRefusedPage(locked, 429, /Too many failed sign-ins/);
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
    // Another account from the same address is not locked by it.
    const admin = await browser.submit(locked, '/login', { username: 'admin', password: at.p.password }, REDIRECT);
    assert.match(admin.html, /Allow access/);
  });

  it('password spraying across usernames from one address is limited, with Retry-After', async () => {
    const { browser, page: first } = await openLogin(at.p, clientId);
    let page = first;
    for (let i = 0; i < 25 && page.status !== 429; i++) {
      page = await browser.submit(page, '/login', { username: `spray-${i}`, password: 'x' }, REDIRECT);
    }
    assertRefusedPage(page, 429, /Too many failed sign-ins/);
    assert.ok(Number(page.headers.get('retry-after')) > 0);
  });
});
