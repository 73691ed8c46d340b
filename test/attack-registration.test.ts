// Attack family: dynamic client registration — javascript:, data:, non-loopback http: and other unusable redirect URIs, forbidden grants, oversize and malformed bodies.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { register, REDIRECT } from './helpers/flow.js';
import { assertOAuthError, jsonAnswer, usePostern } from './helpers/attack.js';

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

  it('loopback, https and app-scheme redirect URIs are accepted, also after the attacks above (control)', async () => {
    for (const uri of ['http://127.0.0.1:9/cb', 'http://localhost:33418/callback', 'http://[::1]:3000/cb', 'https://claude.ai/api/mcp/auth_callback', 'vscode://vscode.github-authentication/did-authenticate']) {
      const res = await register(at.p.issuer, { redirect_uris: [uri] });
      assert.equal(res.status, 201, `${uri}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(res.body.redirect_uris, [uri]);
    }
  });
});
