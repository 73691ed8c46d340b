// The authorization flow once in a real browser: Debian's Chromium driven by playwright-core
// signs in and consents on Postern's pages (screenshots in test-results/), then the code is
// exchanged and the SDK client lists tools with the token.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { pkce, tokenRequest } from './helpers/flow.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';
import { chromiumMissing, launchChromium } from './helpers/chromium.js';
const shots = path.resolve(import.meta.dirname, '../test-results');

describe('authorization in Chromium', { skip: chromiumMissing }, () => {
  let postern: TestPostern;
  let browser: Browser;
  let callbackServer: Server;
  let redirectUri: string;

  before(async () => {
    mkdirSync(shots, { recursive: true });
    postern = await startTestPostern();
    callbackServer = createServer((_req, res) => res.end('<!doctype html><title>Client</title><p>Signed in.</p>'));
    await new Promise<void>((r) => callbackServer.listen(0, '127.0.0.1', () => r()));
    redirectUri = `http://127.0.0.1:${(callbackServer.address() as { port: number }).port}/callback`;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    callbackServer?.close();
    await postern?.destroy();
  });

  it('signs in, consents and gets a working token', async () => {
    const reg = await fetch(`${postern.issuer}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Browser test client', redirect_uris: [redirectUri], token_endpoint_auth_method: 'none' }),
    });
    const client = await reg.json();
    const { verifier, challenge } = pkce();
    const url = new URL(`${postern.issuer}/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: redirectUri,
      scope: 'mcp:tools mcp:resources',
      resource: postern.mcpUrl,
      state: 'browser-state',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();

    const page = await browser.newPage({ viewport: { width: 900, height: 760 } });
    const first = await page.goto(url.toString());
    assert.equal(first?.status(), 200);
    assert.equal(first?.headers()['x-frame-options'], 'DENY');
    assert.match(first?.headers()['content-security-policy'] ?? '', /frame-ancestors 'none'/);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.screenshot({ path: path.join(shots, 'login.png') });

    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(postern.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    const consentText = await page.textContent('main');
    assert.match(consentText ?? '', /Browser test client/);
    assert.match(consentText ?? '', new RegExp(new URL(redirectUri).host.replace(/\./g, '\\.')));
    assert.match(consentText ?? '', /List and call the tools/);
    await page.screenshot({ path: path.join(shots, 'consent.png') });

    await Promise.all([page.waitForURL((u) => u.toString().startsWith(redirectUri)), page.getByRole('button', { name: 'Allow' }).click()]);
    const callback = new URL(page.url());
    assert.equal(callback.searchParams.get('state'), 'browser-state');
    assert.equal(callback.searchParams.get('iss'), postern.issuer);
    const code = callback.searchParams.get('code');
    assert.ok(code);

    const tokens = await tokenRequest(postern.issuer, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: client.client_id,
      code_verifier: verifier,
    });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.ok(tokens.body.refresh_token);

    const mcp = new Client({ name: 'browser-test', version: '1' });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(postern.mcpUrl), {
        requestInit: { headers: { authorization: `Bearer ${tokens.body.access_token}` } },
      }),
    );
    try {
      const { tools } = await mcp.listTools();
      assert.ok(tools.some((t) => t.name === 'everything__echo'));
    } finally {
      await mcp.close();
    }
  });
});
