// Attack family: dynamic client registration — javascript:, data:, non-loopback http: and other unusable redirect URIs, forbidden grants, oversize and malformed bodies; confidential clients and URIs the server would fetch; oversize fields, floods from one address, registrations that are never used; the operator's allowlist and initial access token.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fullFlow, register, REDIRECT, tokenRequest } from './helpers/flow.js';
import { assertOAuthError, jsonAnswer, usePostern } from './helpers/attack.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { nowSeconds } from '../src/store/types.js';

/** An HTTP server on loopback that counts the requests it gets: a jwks_uri nobody may fetch. */
function useRecorder() {
  const rec = { hits: 0, url: '', server: undefined as Server | undefined };
  before(async () => {
    rec.server = createServer((_req, res) => (rec.hits++, res.end('{"keys":[]}')));
    await new Promise<void>((resolve) => rec.server!.listen(0, '127.0.0.1', resolve));
    rec.url = `http://127.0.0.1:${(rec.server.address() as AddressInfo).port}/jwks`;
  });
  after(() => new Promise<void>((resolve) => rec.server!.close(() => resolve())));
  return rec;
}

/** A Postern with these auth.registration settings for the enclosing describe block. */
function usePosternWith(registration: Record<string, unknown>, server: Record<string, unknown> = {}) {
  const target = {} as { p: TestPostern };
  before(async () => {
    target.p = await startTestPostern({ mcpServers: {}, server: { port: 0, ...server }, auth: { registration } });
  });
  after(() => target.p.destroy());
  return target;
}

describe('attacks on client registration', () => {
  const at = usePostern();

  const post = async (body: BodyInit, type = 'application/json', init: RequestInit = {}) =>
    jsonAnswer(await fetch(`${at.p.issuer}/register`, { method: 'POST', headers: { 'content-type': type }, body, ...init }));

  const refusedUris: Array<[string, string[], RegExp]> = [
    ['a javascript: redirect URI', ['javascript:alert(document.cookie)'], /scheme javascript: is not allowed/],
    ['a data: redirect URI', ['data:text/html,<script>alert(1)</script>'], /scheme data: is not allowed/],
    ['a non-loopback http: redirect URI', ['http://evil.example/cb'], /http on a non-loopback host/],
    ['an http: redirect URI on a look-alike of a loopback name', ['http://127.0.0.1.evil.example/cb'], /http on a non-loopback host/],
    ['a file: redirect URI', ['file:///etc/passwd'], /scheme file: is not allowed/],
    ['a vbscript: redirect URI', ['vbscript:msgbox(1)'], /scheme vbscript: is not allowed/],
    ['a redirect URI that is not a URI', ['not a uri'], /not a valid URI/],
    ['a redirect URI with a fragment', ['https://app.example/cb#x'], /fragment/],
    ['one dangerous redirect URI among good ones', [REDIRECT, 'javascript:alert(1)'], /scheme javascript: is not allowed/],
    ['no redirect URI at all', [], /redirect_uris/],
  ];

  it('registration hands out no registration access token, and stores none', async () => {
    const { status, body } = await register(at.p.issuer);
    assert.equal(status, 201);
    assert.equal(typeof body.client_id, 'string');
    assert.equal(body.registration_access_token, undefined);
    assert.equal(body.registration_client_uri, undefined);
    assert.equal(await at.p.store.oidcCount('RegistrationAccessToken'), 0);
  });

  for (const [what, uris, reason] of refusedUris) {
    it(`registration with ${what} is refused`, async () => {
      assertOAuthError(await register(at.p.issuer, { redirect_uris: uris }), 400, 'invalid_redirect_uri', reason);
    });
  }

  it('registration for the implicit or client_credentials grant is refused', async () => {
    for (const metadata of [{ response_types: ['token'], grant_types: ['implicit'] }, { grant_types: ['client_credentials'] }]) {
      assertOAuthError(await register(at.p.issuer, metadata), 400, 'invalid_client_metadata', /grant_types/);
    }
  });

  it('oversize registration body is refused with 413 before it is read', async () => {
    const res = await post(JSON.stringify({ redirect_uris: [REDIRECT], client_name: 'x'.repeat(200_000) }));
    assertOAuthError(res, 413, 'invalid_request', /larger than/);
    const many = await post(JSON.stringify({ redirect_uris: Array.from({ length: 3000 }, (_, i) => `http://127.0.0.1:${1000 + i}/cb`) }));
    assertOAuthError(many, 413, 'invalid_request');
  });

  it('oversize registration body sent without a length is refused while it is read', async () => {
    const chunk = new TextEncoder().encode(`{"redirect_uris":["${REDIRECT}"],"client_name":"${'x'.repeat(100_000)}"}`);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await post(stream, 'application/json', { duplex: 'half' } as RequestInit);
    assertOAuthError(res, 413, 'invalid_request', /larger than/);
  });

  it('malformed registration bodies get exact OAuth errors, never a client', async () => {
    assertOAuthError(await post('{not json'), 400, 'invalid_request', /parse the request body/);
    assertOAuthError(await post('[]'), 400, 'invalid_request', /JSON object/);
    assertOAuthError(await post('null'), 400, 'invalid_request');
    assertOAuthError(await post('x', 'text/plain'), 400, 'invalid_request', /application\/json/);
  });

  it('plain http redirect URIs on look-alikes of loopback names are refused', async () => {
    for (const uri of [
      'http://localhost.evil.example/cb',
      'http://127.0.0.1.nip.io/cb',
      'http://[::ffff:808:808]/cb',
      'http://0.0.0.0/cb',
      'http://[::]/cb',
      'http://evil.localhost/cb',
    ]) {
      assertOAuthError(await register(at.p.issuer, { redirect_uris: [uri] }), 400, 'invalid_redirect_uri', /http on a non-loopback host/);
    }
  });

  it('loopback, https and app-scheme redirect URIs are accepted, also after the attacks above (control)', async () => {
    for (const uri of [
      'http://127.0.0.1:9/cb',
      'http://localhost:33418/callback',
      'http://[::1]:3000/cb',
      'https://claude.ai/api/mcp/auth_callback',
      'vscode://vscode.github-authentication/did-authenticate',
    ]) {
      const res = await register(at.p.issuer, { redirect_uris: [uri] });
      assert.equal(res.status, 201, `${uri}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(res.body.redirect_uris, [uri]);
    }
  });
});

describe('attacks on client registration: confidential clients and fetched URIs', () => {
  const at = usePostern();
  const jwksServer = useRecorder();
  const KEY = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' };

  it('a confidential client is refused: only public clients (token_endpoint_auth_method none) register', async () => {
    for (const method of ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt']) {
      const res = await register(at.p.issuer, { token_endpoint_auth_method: method, ...(method === 'private_key_jwt' ? { jwks: { keys: [KEY] } } : {}) });
      assertOAuthError(res, 400, 'invalid_client_metadata', /token_endpoint_auth_method/);
      assert.equal(res.body.client_secret, undefined, `${method}: no secret issued`);
    }
  });

  it('a jwks_uri or sector_identifier_uri is refused and never fetched, on loopback or anywhere', async () => {
    for (const metadata of [
      { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwksServer.url },
      { jwks_uri: jwksServer.url },
      { jwks_uri: 'https://169.254.169.254/latest/meta-data/' },
      { sector_identifier_uri: jwksServer.url.replace('http:', 'https:') },
      { sector_identifier_uri: 'https://10.0.0.1/redirects.json' },
    ]) {
      const field = Object.keys(metadata).find((k) => k.endsWith('_uri'))!;
      assertOAuthError(await register(at.p.issuer, metadata), 400, 'invalid_client_metadata', new RegExp(field));
    }
    assert.equal(jwksServer.hits, 0, 'nothing was fetched');
  });

  it('discovery advertises exactly the client authentication Postern accepts: none', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const doc = (await (await fetch(`${at.p.issuer}${path}`)).json()) as Record<string, unknown>;
      assert.deepEqual(doc.token_endpoint_auth_methods_supported, ['none'], path);
      for (const key of ['revocation_endpoint_auth_methods_supported', 'introspection_endpoint_auth_methods_supported']) {
        if (doc[key] !== undefined) assert.deepEqual(doc[key], ['none'], `${path} ${key}`);
      }
      assert.equal(doc.token_endpoint_auth_signing_alg_values_supported, undefined, `${path}: no signed client assertions`);
    }
  });
});

describe('client registration with confidential clients switched on', () => {
  const at = usePosternWith({ allowConfidential: true });
  const jwksServer = useRecorder();

  it('a client_secret_basic client gets a secret, discovery lists the methods, and jwks_uri is still never fetched', async () => {
    const res = await register(at.p.issuer, { token_endpoint_auth_method: 'client_secret_basic' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(typeof res.body.client_secret, 'string');
    const doc = (await (await fetch(`${at.p.issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    assert.deepEqual([...(doc.token_endpoint_auth_methods_supported as string[])].sort(), [
      'client_secret_basic',
      'client_secret_jwt',
      'client_secret_post',
      'none',
      'private_key_jwt',
    ]);
    assertOAuthError(
      await register(at.p.issuer, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwksServer.url }),
      400,
      'invalid_client_metadata',
      /jwks_uri/,
    );
    assert.equal(jwksServer.hits, 0);
  });
});

describe('attacks on client registration: field sizes', () => {
  const at = usePostern();
  const long = (n: number) => 'x'.repeat(n);
  const uri = (n: number) => `https://app.example/${long(n - 'https://app.example/'.length)}`;

  const refused: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['a 201-character client_name', { client_name: long(201) }, 'invalid_client_metadata', /^client_name: at most 200 characters/],
    ['a 50 KB client_name', { client_name: long(50_000) }, 'invalid_client_metadata', /^client_name: at most 200/],
    [
      '11 redirect URIs',
      { redirect_uris: Array.from({ length: 11 }, (_, i) => `http://127.0.0.1:${2000 + i}/cb`) },
      'invalid_redirect_uri',
      /^redirect_uris: at most 10 entries/,
    ],
    ['a 2,001-character redirect URI', { redirect_uris: [uri(2001)] }, 'invalid_redirect_uri', /^redirect_uris\[0\]: at most 2000 characters/],
    ['a 2,001-character logo_uri', { logo_uri: uri(2001) }, 'invalid_client_metadata', /^logo_uri: at most 2000/],
    ['a 2,001-character client_uri', { client_uri: uri(2001) }, 'invalid_client_metadata', /^client_uri: at most 2000/],
    ['a 2,001-character policy_uri', { policy_uri: uri(2001) }, 'invalid_client_metadata', /^policy_uri: at most 2000/],
    ['a 2,001-character tos_uri', { tos_uri: uri(2001) }, 'invalid_client_metadata', /^tos_uri: at most 2000/],
    ['six contacts', { contacts: Array.from({ length: 6 }, (_, i) => `a${i}@example.com`) }, 'invalid_client_metadata', /^contacts: at most 5 entries/],
    ['a 321-character contact', { contacts: [`${long(309)}@example.com`] }, 'invalid_client_metadata', /^contacts\[0\]: at most 320/],
    ['a 501-character scope', { scope: `mcp:tools ${long(491)}` }, 'invalid_client_metadata', /^scope: at most 500/],
    ['a 201-character software_id', { software_id: long(201) }, 'invalid_client_metadata', /^software_id: at most 200/],
    ['a long value in another accepted field', { default_acr_values: [long(201)] }, 'invalid_client_metadata', /^default_acr_values\[0\]: at most 200/],
    ['an object where a string belongs', { application_type: { nested: long(1000) } }, 'invalid_client_metadata', /^application_type: expected a string/],
  ];
  for (const [what, metadata, error, description] of refused) {
    it(`registration with ${what} is refused, naming the field`, async () => {
      assertOAuthError(await register(at.p.issuer, metadata), 400, error, description);
    });
  }

  it('fields at their limits are accepted (control)', async () => {
    const res = await register(at.p.issuer, {
      client_name: long(200),
      redirect_uris: [...Array.from({ length: 9 }, (_, i) => `http://127.0.0.1:${3000 + i}/cb`), uri(2000)],
      contacts: Array.from({ length: 5 }, (_, i) => `a${i}@example.com`),
      software_id: long(200),
    });
    assert.equal(res.status, 201, JSON.stringify(res.body).slice(0, 300));
  });

  it('sixty registrations with 50 KB names from one address store nothing', async () => {
    const before = await at.p.store.oidcCount('Client');
    for (let i = 0; i < 60; i++) assert.equal((await register(at.p.issuer, { client_name: long(50_000) })).status, 400);
    assert.equal(await at.p.store.oidcCount('Client'), before);
  });
});

describe('attacks on client registration: a flood from one address', () => {
  const at = usePosternWith({ rateLimit: { perAddress: 3, windowSeconds: 600 } }, { trustProxy: true });

  it('past the per-address limit /register answers 429 with Retry-After and stores nothing; another address still registers', async () => {
    const from = (address: string) => ({ 'x-forwarded-for': address });
    for (let i = 0; i < 3; i++) assert.equal((await register(at.p.issuer, {}, from('198.51.100.7'))).status, 201);
    const stored = await at.p.store.oidcCount('Client');
    for (let i = 0; i < 5; i++) {
      const res = await register(at.p.issuer, {}, from('198.51.100.7'));
      assertOAuthError(res, 429, 'temporarily_unavailable', /too many registrations/);
      const wait = Number(res.headers.get('retry-after'));
      assert.ok(wait > 0 && wait <= 600, `Retry-After ${wait}`);
    }
    assert.equal(await at.p.store.oidcCount('Client'), stored, 'nothing stored past the limit');
    // Earlier X-Forwarded-For entries are the client's own words: only the proxy's last one counts.
    assert.equal((await register(at.p.issuer, {}, from('198.51.100.7, 203.0.113.9'))).status, 201);
  });
});

describe('registrations that are never used', () => {
  const at = usePostern({ withBackends: true });

  it('a registration expires after 24 hours unless it gets a token; a token moves its expiry to 90 days from then', async () => {
    const { body: client } = await register(at.p.issuer);
    const fresh = await at.p.store.oidcFind('Client', client.client_id);
    assert.ok(fresh?.expiresAt, 'a new registration has an expiry');
    assert.ok(Math.abs(fresh.expiresAt - (nowSeconds() + 24 * 3600)) < 60, `expires in about 24 h, not ${fresh.expiresAt - nowSeconds()} s`);
    const used = await fullFlow(at.p.issuer, at.p.mcpUrl, at.p.password);
    assert.equal(used.tokens.status, 200);
    const kept = await at.p.store.oidcFind('Client', used.clientId);
    assert.ok(kept?.expiresAt && Math.abs(kept.expiresAt - (nowSeconds() + 90 * 24 * 3600)) < 60, 'kept for 90 days after its token');
    const refreshed = await tokenRequest(at.p.issuer, { grant_type: 'refresh_token', refresh_token: used.tokens.body.refresh_token, client_id: used.clientId });
    assert.equal(refreshed.status, 200);
  });
});

describe('expiry of unused registrations, with short lifetimes', () => {
  const at = usePosternWith({ unfinishedClientTtl: 3, idleClientTtl: 0 });

  it('an unused registration is gone after its lifetime and the sweep deletes it; a used one is kept', async () => {
    const { body: unused } = await register(at.p.issuer);
    const used = await fullFlow(at.p.issuer, at.p.mcpUrl, at.p.password);
    assert.equal(used.tokens.status, 200);
    assert.equal((await at.p.store.oidcFind('Client', used.clientId))?.expiresAt, undefined, 'idleClientTtl 0: kept for good');
    await new Promise((resolve) => setTimeout(resolve, 4100));
    assert.equal(await at.p.store.oidcFind('Client', unused.client_id), undefined);
    assert.ok((await at.p.store.sweepExpired()) >= 1, 'the sweep deleted the expired registration');
    const res = await fetch(`${at.p.issuer}/authorize?client_id=${unused.client_id}&response_type=code&redirect_uri=${encodeURIComponent(REDIRECT)}`, {
      redirect: 'manual',
    });
    assert.equal(res.status, 400, 'an expired client is unknown');
    assert.ok(await at.p.store.oidcFind('Client', used.clientId));
  });
});

describe('client registration limited by the operator', () => {
  const TOKEN = 'iat-test-token-0123456789-abcdefghijklmnopqrstuvwxyz';
  const at = usePosternWith({
    redirectUriAllowlist: ['https://claude.ai/api/mcp/auth_callback', 'https://connector.example/oauth/*', 'cursor://anysphere.cursor-retrieval/*'],
    allowLoopbackRedirects: false,
    initialAccessToken: hashStaticToken(TOKEN),
  });
  const bearer = { authorization: `Bearer ${TOKEN}` };

  it('/register needs the initial access token: none or a wrong one gets 401, and nothing is stored', async () => {
    const before = await at.p.store.oidcCount('Client');
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Bearer wrong' },
      { authorization: `Basic ${TOKEN}` },
      { authorization: `Bearer ${TOKEN}x` },
    ]) {
      const res = await register(at.p.issuer, { redirect_uris: ['https://claude.ai/api/mcp/auth_callback'] }, headers);
      assertOAuthError(res, 401, 'invalid_token', /initial access token/);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
    }
    assert.equal(await at.p.store.oidcCount('Client'), before);
    assert.equal((await register(at.p.issuer, { redirect_uris: ['https://claude.ai/api/mcp/auth_callback'] }, bearer)).status, 201);
  });

  it('redirect URIs must be on the allowlist: exact entries, and prefixes ending in "*"', async () => {
    for (const uri of [
      'https://claude.ai/api/mcp/auth_callback',
      'https://connector.example/oauth/cb/123',
      'cursor://anysphere.cursor-retrieval/oauth/user-postern/callback',
    ]) {
      const res = await register(at.p.issuer, { redirect_uris: [uri] }, bearer);
      assert.equal(res.status, 201, `${uri}: ${JSON.stringify(res.body)}`);
    }
    for (const uri of [
      'https://claude.ai/api/mcp/auth_callback2',
      'https://claude.ai.evil.example/api/mcp/auth_callback',
      'https://connector.example/oauthx',
      'https://evil.example/cb',
      'cursor://evil/cb',
    ]) {
      assertOAuthError(await register(at.p.issuer, { redirect_uris: [uri] }, bearer), 400, 'invalid_redirect_uri', /not on this server's allowlist/);
    }
  });

  it('loopback redirect URIs are refused when allowLoopbackRedirects is off', async () => {
    for (const uri of ['http://127.0.0.1:9/cb', 'http://localhost:33418/callback', 'http://[::1]:3000/cb', 'https://127.0.0.2:8443/cb']) {
      assertOAuthError(await register(at.p.issuer, { redirect_uris: [uri] }, bearer), 400, 'invalid_redirect_uri', /loopback redirect URI/);
    }
  });
});
