// Attack family: redirect URIs at /authorize — unregistered, one character off, open-redirect tricks; a bad one gets a 400 page, never a redirect. Loopback redirects in any spelling are asked for consent every time.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { TestBrowser } from './helpers/browser.js';
import { authorizeUrl, register } from './helpers/flow.js';
import { assertNoRedirect, usePostern } from './helpers/attack.js';

describe('attacks on the redirect URI', () => {
  const at = usePostern();
  let clientId: string;
  before(async () => {
    clientId = (await register(at.p.issuer)).body.client_id;
  });

  const authorize = (params: Record<string, string>, client = clientId) =>
    fetch(authorizeUrl(at.p.issuer, at.p.mcpUrl, client, params), { redirect: 'manual' });

  // The registered redirect URI is REDIRECT, http://127.0.0.1:53999/cb.
  const refused: Array<[string, string]> = [
    ['an unregistered host', 'https://evil.example/cb'],
    ['a path one character longer', 'http://127.0.0.1:53999/cb2'],
    ['a path one character shorter', 'http://127.0.0.1:53999/c'],
    ['a path differing only in case', 'http://127.0.0.1:53999/CB'],
    ['a trailing slash', 'http://127.0.0.1:53999/cb/'],
    ['an extra query parameter', 'http://127.0.0.1:53999/cb?x=1'],
    ['an extra path segment with dot-segments', 'http://127.0.0.1:53999/cb/../evil'],
    ['an encoded path traversal', 'http://127.0.0.1:53999/cb%2F..%2Fevil'],
    ['a fragment', 'http://127.0.0.1:53999/cb#x'],
    ['https instead of the registered http', 'https://127.0.0.1:53999/cb'],
    ['another loopback host name', 'http://localhost:53999/cb'],
    ['userinfo in front of the registered host', 'http://evil@127.0.0.1:53999/cb'],
    ['the registered host as userinfo of another host', 'http://127.0.0.1:53999@evil.example/cb'],
    ['a protocol-relative URI', '//evil.example/cb'],
    ['a javascript: URI', 'javascript:alert(document.cookie)'],
  ];

  for (const [what, uri] of refused) {
    it(`redirect_uri with ${what} is refused with a 400 page and no redirect`, async () => {
      const html = await assertNoRedirect(await authorize({ redirect_uri: uri }), 400, 'invalid_redirect_uri');
      assert.match(html, /redirect_uri/);
    });
  }

  it('missing redirect_uri is refused with a 400 page and no redirect to the registered one', async () => {
    const url = new URL(authorizeUrl(at.p.issuer, at.p.mcpUrl, clientId));
    url.searchParams.delete('redirect_uri');
    const html = await assertNoRedirect(await fetch(url, { redirect: 'manual' }), 400, 'invalid_request');
    assert.match(html, /redirect_uri/);
  });

  it('unknown client with an attacker redirect_uri is refused with a 400 page and no redirect', async () => {
    await assertNoRedirect(await authorize({ redirect_uri: 'https://evil.example/cb' }, 'unknown-client'), 400, 'invalid_client');
  });

  it('bare /authorize without parameters is refused with a 400 page', async () => {
    await assertNoRedirect(await fetch(`${at.p.issuer}/authorize`, { redirect: 'manual' }), 400, 'invalid_request');
  });

  it('a loopback redirect on another port is accepted, as RFC 8252 §7.3 requires for native apps (control)', async () => {
    const res = await authorize({ redirect_uri: 'http://127.0.0.1:53998/cb' });
    assert.equal(res.status, 303);
    assert.match(res.headers.get('location') ?? '', /^\/interaction\//, 'on to sign-in, not to the client yet');
  });
});

describe('attacks on remembered consent with loopback redirects in other spellings', () => {
  const at = usePostern();
  // RFC 8252 §8.6: any local program can claim a loopback redirect, so consent is asked every time,
  // also when the loopback host is spelled so that it looks like a claimed https host.
  const spellings = [
    'https://127.0.0.2:8443/cb',
    'https://localhost.:8443/cb',
    'https://[::ffff:7f00:1]:8443/cb',
    'https://127.255.0.1/cb',
    'https://LOCALHOST.:8443/cb',
  ];
  for (const uri of spellings) {
    it(`consent for ${uri} is asked again on the next authorization`, async () => {
      const { status, body: client } = await register(at.p.issuer, { redirect_uris: [uri] });
      assert.equal(status, 201, JSON.stringify(client));
      const url = () => authorizeUrl(at.p.issuer, at.p.mcpUrl, client.client_id, { redirect_uri: uri });
      const browser = new TestBrowser();
      const stop = new URL(uri).href; // as the browser writes it
      const login = await browser.go(url(), {}, stop);
      const consent = await browser.submit(login, '/login', { username: 'admin', password: at.p.password }, stop);
      assert.match(consent.html, /Allow access/);
      const first = await browser.submit(consent, '/confirm', {}, stop);
      assert.ok(new URL(first.url).searchParams.get('code'), `a code: ${first.url}`);
      const again = await browser.go(url(), {}, stop);
      assert.match(again.html, /Allow access/, `consent shown again, not remembered (went to ${again.url})`);
    });
  }
});
