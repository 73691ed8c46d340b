// Consent is remembered per client and scope set for clients with an https redirect: the same
// browser asking again for the same scopes goes straight back to the client; asking for more
// shows consent for the new ones only. Loopback and app-scheme clients are asked every time.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestBrowser } from './helpers/browser.js';
import { authorizeUrl, REDIRECT, register } from './helpers/flow.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

describe('remembered consent', () => {
  let p: TestPostern;
  before(async () => {
    p = await startTestPostern();
  });
  after(() => p.destroy());

  const WEB = 'https://connector.example/oauth/callback';

  it('asks once per client and scope set', async () => {
    const { body: client } = await register(p.issuer, { redirect_uris: [WEB] });
    const url = (params: Record<string, string> = {}) => authorizeUrl(p.issuer, p.mcpUrl, client.client_id, { redirect_uri: WEB, ...params });
    const browser = new TestBrowser();
    const login = await browser.go(url(), {}, WEB);
    const consent = await browser.submit(login, '/login', { username: 'admin', password: p.password }, WEB);
    assert.match(consent.html, /Allow access/);
    const first = await browser.submit(consent, '/confirm', {}, WEB);
    assert.ok(new URL(first.url).searchParams.get('code'));

    // Same client, same scopes: no sign-in, no consent.
    const again = await browser.go(url(), {}, WEB);
    assert.ok(
      again.url.startsWith(WEB),
      `expected a direct redirect, got ${again.url} ${again.html
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .slice(0, 600)}`,
    );
    assert.ok(new URL(again.url).searchParams.get('code'));

    // More scopes: consent again, for the new one only.
    const wider = await browser.go(url({ scope: 'mcp:tools mcp:prompts' }), {}, WEB);
    assert.match(wider.html, /Allow access/);
    assert.match(wider.html, /mcp:prompts/);
    assert.doesNotMatch(wider.html, /<code>mcp:tools<\/code>/);

    // Another client: consent again.
    const { body: other } = await register(p.issuer, { redirect_uris: [WEB] });
    const otherPage = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, other.client_id, { redirect_uri: WEB }), {}, WEB);
    assert.match(otherPage.html, /Allow access/);
  });

  it('asks a loopback (desktop) client every time', async () => {
    const { body: client } = await register(p.issuer);
    const browser = new TestBrowser();
    const login = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, client.client_id), {}, REDIRECT);
    const consent = await browser.submit(login, '/login', { username: 'admin', password: p.password }, REDIRECT);
    await browser.submit(consent, '/confirm', {}, REDIRECT);
    const again = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, client.client_id), {}, REDIRECT);
    assert.match(again.html, /Allow access/, 'consent shown again');
    assert.doesNotMatch(again.html, /type="password"/, 'but no second sign-in');
  });
});
