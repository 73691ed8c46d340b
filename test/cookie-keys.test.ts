// The signer of oidc-provider's cookies: the same signatures keygrip makes (cookies already in
// browsers stay valid), and refusal of a tampered value, a foreign signature or none.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { CookieKeys } from '../src/oauth/cookie-keys.js';
import { TestBrowser } from './helpers/browser.js';
import { authorizeUrl, REDIRECT, register } from './helpers/flow.js';
import { startTestPostern } from './helpers/postern.js';

// keygrip is what the cookies library signs with by default.
const Keygrip = createRequire(createRequire(import.meta.url).resolve('cookies'))('keygrip') as new (
  keys: string[],
) => {
  sign(data: string): string;
  index(data: string, digest: string): number;
};

describe('cookie signatures', () => {
  const keys = new CookieKeys(['new-key', 'old-key']);
  const data = '_session=hPz8yY1r3dbUo4w1m2Q1Q';

  it('signs as keygrip does, so existing cookies stay valid', () => {
    assert.equal(keys.sign(data), new Keygrip(['new-key']).sign(data));
    assert.equal(keys.index(data, new Keygrip(['old-key']).sign(data)), 1, 'a cookie signed with the older key');
  });

  it('refuses a tampered value, a foreign or missing signature', () => {
    const sig = keys.sign(data);
    assert.equal(keys.verify(data, sig), true);
    assert.equal(keys.verify(`${data}x`, sig), false, 'value changed');
    assert.equal(keys.verify(data, new Keygrip(['someone-else']).sign(data)), false, 'foreign key');
    assert.equal(keys.verify(data, sig.slice(0, -1)), false, 'truncated');
    assert.equal(keys.verify(data, undefined as unknown as string), false, 'none');
  });

  it('Postern refuses a sign-in session cookie whose signature is not its own', async () => {
    const p = await startTestPostern({ mcpServers: {} });
    try {
      const { body: client } = await register(p.issuer);
      const browser = new TestBrowser();
      const login = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, client.client_id), {}, REDIRECT);
      await browser.submit(login, '/login', { username: 'admin', password: p.password }, REDIRECT);
      const signedIn = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, client.client_id), {}, REDIRECT);
      assert.doesNotMatch(signedIn.html, /name="password"/, 'the session cookie signs the browser in');

      // The same session id with a signature made under another key.
      const cookie = browser.jar.header(p.issuer);
      const id = /(?:^|; )_session=([^;]+)/.exec(cookie)![1];
      const forged = new TestBrowser({ cookie: `_session=${id}; _session.sig=${new Keygrip(['not-the-key']).sign(`_session=${id}`)}` });
      const page = await forged.go(authorizeUrl(p.issuer, p.mcpUrl, client.client_id), {}, REDIRECT);
      assert.match(page.html, /name="password"/, 'asked to sign in again');
    } finally {
      await p.destroy();
    }
  });
});
