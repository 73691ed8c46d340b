// The browser's sign-in session at Postern: it remembers the clients it authorized most recently
// (a bounded record, however many clients a browser authorizes), and the codes and tokens it
// helped issue do not depend on it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestBrowser } from './helpers/browser.js';
import { authorizeUrl, pkce, redeem, refresh, register } from './helpers/flow.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';
import { REMEMBERED_CLIENTS } from '../src/oauth/session-authorizations.js';

const WEB = 'https://connector.example/oauth/callback';

/** The id of the browser's session record (the value of oidc-provider's session cookie). */
function sessionId(browser: TestBrowser, issuer: string): string {
  const id = /(?:^|; )_session=([^;]+)/.exec(browser.jar.header(issuer))?.[1];
  assert.ok(id, 'the browser holds a session cookie');
  return id;
}

describe('the browser session', () => {
  let p: TestPostern;
  before(async () => {
    p = await startTestPostern({ mcpServers: {} });
  });
  after(() => p.destroy());

  const webClient = async () => (await register(p.issuer, { redirect_uris: [WEB] })).body.client_id as string;

  /** Authorizes `clientId` in `browser`; returns whether the consent page was shown, and the code. */
  async function authorize(browser: TestBrowser, clientId: string, challenge?: string) {
    let page = await browser.go(
      authorizeUrl(p.issuer, p.mcpUrl, clientId, { redirect_uri: WEB, ...(challenge ? { code_challenge: challenge } : {}) }),
      {},
      WEB,
    );
    if (page.html.includes('name="password"')) page = await browser.submit(page, '/login', { username: 'admin', password: p.password }, WEB);
    const asked = !page.url.startsWith(WEB);
    if (asked) {
      assert.match(page.html, /Allow access/);
      page = await browser.submit(page, '/confirm', {}, WEB);
    }
    const code = new URL(page.url).searchParams.get('code');
    assert.ok(code, `a code for ${clientId}`);
    return { asked, code };
  }

  it(`remembers the ${REMEMBERED_CLIENTS} clients it authorized most recently, and no more`, async () => {
    const browser = new TestBrowser();
    const first = await webClient();
    const kept = await webClient();
    await authorize(browser, first);
    await authorize(browser, kept);
    const others: string[] = [];
    for (let i = 0; i < REMEMBERED_CLIENTS + 2; i++) {
      const id = await webClient();
      others.push(id);
      await authorize(browser, id);
      // Using `kept` again makes it recent, so it stays while older clients fall out.
      if (i === REMEMBERED_CLIENTS - 3) assert.equal((await authorize(browser, kept)).asked, false, 'remembered');
    }

    const record = await p.store.oidcFind('Session', sessionId(browser, p.issuer));
    const remembered = Object.keys((record?.payload.authorizations as object | undefined) ?? {});
    assert.ok(remembered.length <= REMEMBERED_CLIENTS + 1, `${remembered.length} clients in the session record`);
    assert.ok(!remembered.includes(first), 'the oldest client fell out');
    assert.ok(remembered.includes(kept), 'a recently used client stays');

    assert.equal((await authorize(browser, kept)).asked, false, 'consent is still remembered for a kept client');
    assert.equal((await authorize(browser, others.at(-1)!)).asked, false, 'and for the newest');
    assert.equal((await authorize(browser, first)).asked, true, 'a client that fell out is asked again');
  });

  it('codes and refresh tokens keep working when the browser session is gone', async () => {
    const browser = new TestBrowser();
    const clientId = await webClient();
    const { verifier, challenge } = pkce();
    const { code } = await authorize(browser, clientId, challenge);
    // The session expires or is removed between the redirect and the token request.
    await p.store.oidcDestroy('Session', sessionId(browser, p.issuer));

    const tokens = await redeem(p.issuer, clientId, code, verifier, { redirect_uri: WEB });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    const next = await refresh(p.issuer, clientId, tokens.body.refresh_token);
    assert.equal(next.status, 200, JSON.stringify(next.body));
    assert.ok(next.body.access_token);
  });
});
