// Attack family: request headers — Host-header tricks on discovery (421), spoofed X-Forwarded-* / Forwarded ignored when not trusted, CORS without credentials.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { TestBrowser } from './helpers/browser.js';
import { authorizeUrl, register, REDIRECT } from './helpers/flow.js';
import { assertRefusedPage, raw, usePostern } from './helpers/attack.js';

const AS_METADATA = '/.well-known/oauth-authorization-server';
const OIDC_DISCOVERY = '/.well-known/openid-configuration';
const PRM = '/.well-known/oauth-protected-resource';
const SPOOF = { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https', 'x-forwarded-port': '8443', 'x-forwarded-prefix': '/evil' };

describe('attacks with Host and forwarded headers', () => {
  const at = usePostern();

  /** The request is refused for its Host: 421, an OAuth error, and nothing of the document. */
  async function misdirected(path: string, host: string) {
    const res = await raw(`${at.p.issuer}${path}`, { host });
    assert.equal(res.status, 421, `${host}: ${res.body}`);
    const body = JSON.parse(res.body);
    assert.equal(body.error, 'invalid_request');
    assert.match(body.error_description, /does not answer for host/);
    assert.equal(body.issuer, undefined);
    assert.doesNotMatch(res.body, /authorization_endpoint|authorization_servers/);
  }

  /** The document is served and every URL in it is on the configured issuer. */
  async function discoveryOnIssuer(path: string, headers: Record<string, string>) {
    const res = await raw(`${at.p.issuer}${path}`, headers);
    assert.equal(res.status, 200);
    const doc = JSON.parse(res.body) as Record<string, unknown>;
    const urls = Object.entries(doc).flatMap(([key, value]) =>
      (Array.isArray(value) ? value : [value]).filter((v) => typeof v === 'string' && /^https?:/.test(v)).map((v) => [key, v as string]),
    );
    assert.ok(urls.length > 0);
    for (const [key, url] of urls) assert.ok(url.startsWith(at.p.issuer), `${key}: ${url}`);
    assert.doesNotMatch(res.body, /evil/);
    return doc;
  }

  it('Host names that are loopback in any spelling are served; look-alikes are refused with 421', async () => {
    for (const host of ['127.0.0.2', 'localhost.', 'LOCALHOST', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '127.0.0.1.']) {
      const res = await raw(`${at.p.issuer}${AS_METADATA}`, { host: `${host}:${at.p.port}` });
      assert.equal(res.status, 200, `${host}: ${res.body}`);
      assert.equal(JSON.parse(res.body).issuer, at.p.issuer, 'URLs still come from the issuer');
    }
    for (const host of ['localhost.evil.example', '127.0.0.1.nip.io', '[::ffff:808:808]', '0.0.0.0', 'evil.localhost']) {
      await misdirected(AS_METADATA, `${host}:${at.p.port}`);
    }
  });

  it('spoofed Host on the authorization-server metadata is refused with 421', async () => {
    await misdirected(AS_METADATA, 'evil.example');
  });

  it('spoofed Host on the protected-resource metadata is refused with 421', async () => {
    await misdirected(`${PRM}/mcp`, 'evil.example');
  });

  it('spoofed Host keeping the real port is refused with 421', async () => {
    await misdirected(AS_METADATA, `evil.example:${at.p.port}`);
  });

  it('Host with the real host as userinfo-like prefix is refused with 421', async () => {
    await misdirected(AS_METADATA, `127.0.0.1:${at.p.port}@evil.example`);
  });

  it('Host with a path or a second host is refused with 421', async () => {
    await misdirected(OIDC_DISCOVERY, `127.0.0.1:${at.p.port}/evil.example`);
    await misdirected(OIDC_DISCOVERY, `127.0.0.1 evil.example`);
  });

  it('an absolute-form request target naming another host is refused with 421; naming this server, it is served as usual', async () => {
    for (const path of [AS_METADATA, `${PRM}/mcp`]) {
      const evil = await raw(`${at.p.issuer}${path}`, {}, 'GET', `http://evil.example${path}`);
      assert.equal(evil.status, 421, evil.body);
      assert.doesNotMatch(evil.body, /authorization_endpoint|authorization_servers/);
      const ours = await raw(`${at.p.issuer}${path}`, {}, 'GET', `${at.p.issuer}${path}`);
      assert.equal(ours.status, 200, ours.body);
      assert.doesNotMatch(ours.body, /evil\.example/);
      assert.ok(ours.body.includes(at.p.issuer));
    }
    const odd = await raw(`${at.p.issuer}/`, {}, 'GET', 'ftp://127.0.0.1/x');
    assert.equal(odd.status, 400);
  });

  it('a Host with an impossible port is answered at once with a 4xx, never left hanging', async () => {
    for (const host of ['localhost:99999', '127.0.0.1:', `127.0.0.1:${at.p.port}0000000`]) {
      for (const path of [AS_METADATA, `${PRM}/mcp`, '/mcp']) {
        const res = await raw(`${at.p.issuer}${path}`, { host });
        assert.ok(res.status >= 400 && res.status < 500, `${host} on ${path}: ${res.status}`);
        assert.equal(JSON.parse(res.body).error, 'invalid_request');
      }
    }
  });

  it('spoofed X-Forwarded-Host/-Proto/-Port/-Prefix do not change the authorization-server metadata', async () => {
    const doc = await discoveryOnIssuer(AS_METADATA, SPOOF);
    assert.equal(doc.issuer, at.p.issuer);
    for (const key of ['authorization_endpoint', 'token_endpoint', 'registration_endpoint', 'jwks_uri']) assert.ok(doc[key], key);
  });

  it('spoofed X-Forwarded-Host does not change the OpenID discovery document', async () => {
    assert.equal((await discoveryOnIssuer(OIDC_DISCOVERY, SPOOF)).issuer, at.p.issuer);
  });

  it('spoofed X-Forwarded-Host does not change the protected-resource metadata', async () => {
    for (const path of [PRM, `${PRM}/mcp`]) {
      const doc = await discoveryOnIssuer(path, SPOOF);
      assert.equal(doc.resource, at.p.mcpUrl);
      assert.deepEqual(doc.authorization_servers, [at.p.issuer]);
    }
  });

  it('a spoofed RFC 7239 Forwarded header does not change discovery', async () => {
    assert.equal((await discoveryOnIssuer(AS_METADATA, { forwarded: 'for=1.2.3.4;host=evil.example;proto=https' })).issuer, at.p.issuer);
  });

  it('spoofed X-Forwarded-Host does not move the /mcp challenge to another metadata URL', async () => {
    const res = await raw(at.p.mcpUrl, SPOOF, 'POST');
    assert.equal(res.status, 401);
    assert.equal(
      res.headers['www-authenticate'],
      `Bearer resource_metadata="${at.p.issuer}/.well-known/oauth-protected-resource/mcp", scope="mcp:tools mcp:resources mcp:prompts"`,
    );
  });

  it('spoofed X-Forwarded-Host does not move the sign-in redirect off this server', async () => {
    const { body: client } = await register(at.p.issuer);
    const res = await raw(authorizeUrl(at.p.issuer, at.p.mcpUrl, client.client_id), SPOOF);
    assert.equal(res.status, 303);
    const location = new URL(String(res.headers.location), at.p.issuer);
    assert.equal(location.origin, at.p.issuer);
    assert.match(location.pathname, /^\/interaction\//);
  });

  it('cross-origin callers get CORS on the public endpoints but never with credentials', async () => {
    const { p } = at;
    const pre = await fetch(p.mcpUrl, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://claude.ai',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, mcp-session-id',
      },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /authorization/);
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /mcp-session-id/);
    assert.equal(pre.headers.get('access-control-allow-credentials'), null);
    for (const path of [`${PRM}/mcp`, AS_METADATA, '/jwks']) {
      const res = await fetch(`${p.issuer}${path}`, { headers: { origin: 'https://claude.ai' } });
      assert.ok(['*', 'https://claude.ai'].includes(res.headers.get('access-control-allow-origin') ?? ''), path);
      assert.notEqual(res.headers.get('access-control-allow-credentials'), 'true', path);
      await res.body?.cancel();
    }
    const token = await fetch(`${p.issuer}/token`, {
      method: 'POST',
      headers: { origin: 'https://claude.ai', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token&refresh_token=x&client_id=y',
    });
    assert.equal(token.status, 401, 'unknown client');
    assert.equal((await token.json()).error, 'invalid_client');
    assert.ok(token.headers.get('access-control-allow-origin'), 'even errors are readable cross-origin');
  });
});

describe('attacks with X-Forwarded-For on an untrusted connection', () => {
  const at = usePostern();
  let clientId: string;
  before(async () => {
    clientId = (await register(at.p.issuer)).body.client_id;
  });

  it('a new X-Forwarded-For on every try does not escape the per-address sign-in limit', async () => {
    let page;
    for (let i = 0; i < 25 && page?.status !== 429; i++) {
      const browser = new TestBrowser({ 'x-forwarded-for': `203.0.113.${i + 1}` });
      const login = await browser.go(authorizeUrl(at.p.issuer, at.p.mcpUrl, clientId), {}, REDIRECT);
      page = await browser.submit(login, '/login', { username: `spray-${i}`, password: 'x' }, REDIRECT);
    }
    assert.ok(page);
    assertRefusedPage(page, 429, /Too many failed sign-ins/);
  });
});
