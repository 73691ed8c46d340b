// Attack family: the authorization code and response — code replay, theft and misbinding, forged codes, state passthrough and mix-up (RFC 9207 iss).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorizeUrl, fullFlow, redeem, register, registerAndAuthorize, REDIRECT, refresh, tokenRequest } from './helpers/flow.js';
import { assertErrorRedirect, assertOAuthError, jsonAnswer, mcpStatus, openConsent, usePostern } from './helpers/attack.js';

describe('attacks on the authorization code', () => {
  const at = usePostern();

  const newCode = (params: Record<string, string> = {}) => registerAndAuthorize(at.p.issuer, at.p.mcpUrl, at.p.password, params);

  it('replayed authorization code is refused and the tokens it issued are revoked', async () => {
    const { p } = at;
    const flow = await fullFlow(p.issuer, p.mcpUrl, p.password);
    assert.equal(flow.tokens.status, 200);
    assert.equal(await mcpStatus(p, flow.tokens.body.access_token), 200);
    const replay = await redeem(p.issuer, flow.clientId, flow.code, flow.verifier);
    assertOAuthError(replay, 400, 'invalid_grant');
    assert.equal(await mcpStatus(p, flow.tokens.body.access_token), 401, 'the first access token is revoked');
    assertOAuthError(await refresh(p.issuer, flow.clientId, flow.tokens.body.refresh_token), 400, 'invalid_grant');
  });

  it('authorization code redeemed by another client is refused', async () => {
    const { p } = at;
    const victim = await newCode();
    const { body: thief } = await register(p.issuer);
    assertOAuthError(await redeem(p.issuer, thief.client_id, victim.code, victim.verifier), 400, 'invalid_grant');
  });

  it('authorization code redeemed with another redirect_uri is refused', async () => {
    const { p } = at;
    const { clientId, code, verifier } = await newCode();
    assertOAuthError(await redeem(p.issuer, clientId, code, verifier, { redirect_uri: 'http://127.0.0.1:53999/cb2' }), 400, 'invalid_grant');
  });

  it('authorization code redeemed without a redirect_uri is refused', async () => {
    const { p } = at;
    const { clientId, code, verifier } = await newCode();
    const res = await tokenRequest(p.issuer, { grant_type: 'authorization_code', code, client_id: clientId, code_verifier: verifier });
    assertOAuthError(res, 400, 'invalid_request', /redirect_uri/);
  });

  it('forged authorization code is refused', async () => {
    const { p } = at;
    const { clientId, verifier } = await newCode();
    assertOAuthError(await redeem(p.issuer, clientId, 'forged-code-that-was-never-issued', verifier), 400, 'invalid_grant');
  });

  it('state is passed back unchanged on success so the client can detect a forged callback', async () => {
    const state = 'csrf-\u00e9 &=?#/x';
    const { callback } = await newCode({ state });
    assert.equal(callback.origin + callback.pathname, REDIRECT);
    assert.equal(callback.searchParams.get('state'), state);
    assert.ok(callback.searchParams.get('code'));
  });

  it('state is passed back on a denied consent, with access_denied and no code', async () => {
    const { p } = at;
    const { body: client } = await register(p.issuer);
    const { browser, page: consent } = await openConsent(p, client.client_id);
    assert.match(consent.html, /127\.0\.0\.1:53999/, 'the redirect host is shown');
    assert.match(consent.html, /mcp:tools/);
    const denied = await browser.submit(consent, '/abort', {}, REDIRECT);
    assertErrorRedirect(denied.url, 'access_denied', p.issuer);
  });

  it('mix-up: the authorization response names this issuer in iss (RFC 9207) and the metadata says so', async () => {
    const { p } = at;
    const { callback } = await newCode();
    assert.equal(callback.searchParams.get('iss'), p.issuer);
    const metadata = await (await fetch(`${p.issuer}/.well-known/oauth-authorization-server`)).json();
    assert.equal(metadata.issuer, p.issuer);
    assert.equal(metadata.authorization_response_iss_parameter_supported, true);
  });

  it('implicit flow (response_type=token) is refused without a token in the fragment', async () => {
    const { p } = at;
    const { body: client } = await register(p.issuer);
    const res = await fetch(authorizeUrl(p.issuer, p.mcpUrl, client.client_id, { response_type: 'token' }), { redirect: 'manual' });
    assert.equal(res.status, 303);
    assertErrorRedirect(res.headers.get('location'), 'unsupported_response_type', p.issuer);
  });

  it('password and client_credentials grants are refused', async () => {
    const { p } = at;
    const { body: client } = await register(p.issuer);
    const grants: Array<Record<string, string>> = [
      { grant_type: 'password', username: 'admin', password: p.password },
      { grant_type: 'client_credentials', scope: 'mcp:tools' },
    ];
    for (const fields of grants) {
      assertOAuthError(await tokenRequest(p.issuer, { ...fields, client_id: client.client_id }), 400, 'unsupported_grant_type');
    }
  });

  it('malformed token requests get exact OAuth errors, never a token', async () => {
    const { p } = at;
    const form = 'application/x-www-form-urlencoded';
    const cases: Array<[string, string, number, string]> = [
      [form, '', 400, 'invalid_request'],
      [form, 'grant_type=password&username=a&password=b', 400, 'invalid_request'],
      ['application/json', '{"grant_type":"authorization_code"}', 400, 'invalid_request'],
      [form, 'grant_type=authorization_code&code=nope&client_id=nope&code_verifier=x&redirect_uri=x', 401, 'invalid_client'],
    ];
    for (const [type, body, status, error] of cases) {
      const res = await fetch(`${p.issuer}/token`, { method: 'POST', headers: { 'content-type': type }, body });
      assertOAuthError(await jsonAnswer(res), status, error);
    }
    const revoke = await fetch(`${p.issuer}/revoke`, { method: 'POST', headers: { 'content-type': form }, body: 'token=' });
    assertOAuthError(await jsonAnswer(revoke), 400, 'invalid_request');
  });
});
