// Nextcloud's own side of Login Flow v2 on the real test server, as a browser would do it: open
// the flow's login URL, sign in on Nextcloud's login page, and grant the app access. The flow
// pages are a script app; the addresses and tokens they use sit in the page's initial state.
import type { TestBrowser } from './browser.js';
import { type NextcloudUser, nextcloudBrowser, requestToken, signInAtNextcloud } from './nextcloud.js';

/** A value of the page's initial state (`<input id="initial-state-core-<key>" value="<base64 JSON>">`). */
function initialState<T>(html: string, key: string): T {
  const value = new RegExp(`id="initial-state-core-${key}" value="([^"]*)"`).exec(html)?.[1];
  if (value === undefined) throw new Error(`no initial state "${key}" on the page:\n${html.slice(0, 500)}`);
  return JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as T;
}

/** Signs `who` in at the flow's `loginUrl` (from POST /index.php/login/v2) and grants access. */
export async function grantLoginFlow(loginUrl: string, who: NextcloudUser, browser: TestBrowser = nextcloudBrowser()): Promise<void> {
  const landing = await browser.go(loginUrl);
  const { loginRedirectUrl } = initialState<{ loginRedirectUrl: string }>(landing.html, 'loginFlowAuth');
  const grantPage = await signInAtNextcloud(browser, loginRedirectUrl, who);
  const grant = initialState<{ actionUrl: string; stateToken: string }>(grantPage.html, 'loginFlowGrant');
  const done = await browser.go(grant.actionUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(grant.actionUrl).origin },
    body: new URLSearchParams({ stateToken: grant.stateToken, requesttoken: requestToken(grantPage.html) }).toString(),
  });
  if (done.status !== 200) throw new Error(`Nextcloud answered ${done.status} to the grant (${done.url})`);
}

/** The flow's login URL on Postern's waiting page ("Connect Nextcloud" after POST …/connect). */
export function loginUrlOn(waitingHtml: string): string {
  const href = /href="([^"]+\/login\/v2\/flow\/[^"]+)"/.exec(waitingHtml)?.[1];
  if (!href) throw new Error(`no Login Flow link on the page:\n${waitingHtml.slice(0, 500)}`);
  return href.replace(/&amp;/g, '&');
}

/** Loads Postern's waiting page `url` every half second until it moves on (60 s at most). */
export async function flowEnd(browser: TestBrowser, url: string) {
  const end = Date.now() + 60_000;
  for (;;) {
    const page = await browser.go(url);
    if (!/Waiting for Nextcloud/.test(page.html)) return page;
    if (Date.now() > end) throw new Error('the login flow did not end within 60 s');
    await new Promise((r) => setTimeout(r, 500));
  }
}
