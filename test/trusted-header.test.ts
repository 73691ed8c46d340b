// Trusted reverse-proxy headers: believed only from peers inside trustedSourceCidrs, refused
// (403) from anywhere else, groups mapped to roles plus the source's injected roles; an empty
// CIDR list stops the start with a clear message.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/load.js';
import { TestBrowser } from './helpers/browser.js';
import { connectWithOAuth, MemoryOAuthProvider } from './helpers/oauth-client.js';
import { authorizeUrl, pkce, REDIRECT, redeem, register, tokenRequest } from './helpers/flow.js';
import { startTestPostern, tempDir, type TestPostern } from './helpers/postern.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const proxyHeaders = { 'x-forwarded-user': 'alice', 'x-forwarded-groups': 'staff, nc-admins', 'x-forwarded-email': 'alice@example.org' };

async function signInThroughProxy(p: TestPostern, headers: Record<string, string>) {
  const { body: client } = await register(p.issuer);
  const { verifier, challenge } = pkce();
  const browser = new TestBrowser(headers);
  const first = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, client.client_id, { code_challenge: challenge }), {}, REDIRECT);
  return { browser, first, client, verifier };
}

describe('trusted header source, proxy inside the CIDRs', () => {
  let p: TestPostern;
  before(async () => {
    p = await startTestPostern({
      identity: {
        local: { enabled: false },
        trustedHeader: { enabled: true, trustedSourceCidrs: ['127.0.0.0/8', '::1/128'], injectedRoles: ['via-proxy'] },
        groupRoles: { 'nc-admins': ['admin'], staff: ['reader'] },
      },
    });
  });
  after(() => p.destroy());

  it('works end to end with the SDK client', async () => {
    const provider = new MemoryOAuthProvider();
    const { client, signedIn } = await connectWithOAuth(p.mcpUrl, provider, async (url, prefix) => {
      const browser = new TestBrowser(proxyHeaders);
      const consent = await browser.go(url, {}, prefix);
      return new URL((await browser.submit(consent, '/confirm', {}, prefix)).url);
    });
    try {
      assert.ok(signedIn);
      assert.ok((await client.listTools()).tools.some((t) => t.name === 'everything__echo'));
    } finally {
      await client.close();
    }
  });

  it('signs the user in from the headers, without a password form', async () => {
    const { browser, first, client, verifier } = await signInThroughProxy(p, proxyHeaders);
    assert.doesNotMatch(first.html, /Password/, 'no login form');
    assert.match(first.html, /Allow access/);
    assert.match(first.html, /alice/);
    const done = await browser.submit(first, '/confirm', {}, REDIRECT);
    const code = new URL(done.url).searchParams.get('code')!;
    const tokens = await redeem(p.issuer, client.client_id, code, verifier);
    assert.equal(tokens.status, 200);
    const checked = await p.guard!.check(`Bearer ${tokens.body.access_token}`);
    assert.ok(checked.ok);
    assert.equal(checked.caller.subject, 'header:alice');
    assert.deepEqual(checked.caller.roles.sort(), ['admin', 'reader', 'via-proxy']);
    // Refresh keeps the roles: the account was recorded.
    const refreshed = await tokenRequest(p.issuer, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token, client_id: client.client_id });
    const again = await p.guard!.check(`Bearer ${refreshed.body.access_token}`);
    assert.ok(again.ok);
    assert.deepEqual(again.caller.roles.sort(), ['admin', 'reader', 'via-proxy']);
  });

  it('refuses a request without the header when no other source is configured', async () => {
    const { first } = await signInThroughProxy(p, {});
    assert.equal(first.status, 403);
    assert.match(first.html, /reverse proxy/);
  });
});

describe('trusted header source, request from outside the CIDRs', () => {
  let p: TestPostern;
  before(async () => {
    p = await startTestPostern({
      identity: { trustedHeader: { enabled: true, trustedSourceCidrs: ['10.0.0.0/8'] } },
    });
  });
  after(() => p.destroy());

  it('refuses a spoofed header with 403 and issues nothing', async () => {
    const { first } = await signInThroughProxy(p, { ...proxyHeaders, 'x-forwarded-for': '10.1.2.3' });
    assert.equal(first.status, 403);
    assert.match(first.html, /does not accept identity headers from your address/);
    assert.ok(!first.url.startsWith(REDIRECT));
  });

  it('still offers the local login form to requests without the header', async () => {
    const { first } = await signInThroughProxy(p, {});
    assert.equal(first.status, 200);
    assert.match(first.html, /Password/);
  });
});

describe('trusted header configuration', () => {
  function loadWith(trustedHeader: Record<string, unknown>) {
    const file = path.join(tempDir('postern-th-'), 'config.json');
    writeFileSync(file, JSON.stringify({ identity: { trustedHeader } }));
    return loadConfig({ env: {}, file });
  }

  it('refuses to start with an empty CIDR list, naming the key', () => {
    assert.throws(
      () => loadWith({ enabled: true }),
      (err: unknown) => err instanceof ConfigError && /identity\.trustedHeader\.trustedSourceCidrs: empty/.test(err.message),
    );
  });

  it('refuses a malformed CIDR, naming the entry', () => {
    assert.throws(
      () => loadWith({ enabled: true, trustedSourceCidrs: ['10.0.0.0/33'] }),
      (err: unknown) => err instanceof ConfigError && /trustedSourceCidrs\.0: "10\.0\.0\.0\/33" is not a CIDR/.test(err.message),
    );
  });
});
