// Attack family: PKCE — a missing, plain or malformed challenge at /authorize, and a wrong, missing or downgraded verifier at /token.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorizeUrl, pkce, redeem, register, registerAndAuthorize, tokenRequest, REDIRECT } from './helpers/flow.js';
import { assertErrorRedirect, assertOAuthError, usePostern } from './helpers/attack.js';

describe('attacks on PKCE', () => {
  const at = usePostern();

  /** The authorization request is refused before any sign-in page: straight back to the client with the error. */
  async function refusedAtAuthorize(params: Record<string, string>, description: RegExp) {
    const { p } = at;
    const { body: client } = await register(p.issuer);
    const res = await fetch(authorizeUrl(p.issuer, p.mcpUrl, client.client_id, params), { redirect: 'manual' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.getSetCookie().length, 0, 'no sign-in started');
    const error = assertErrorRedirect(res.headers.get('location'), 'invalid_request', p.issuer);
    assert.match(error.get('error_description') ?? '', description);
  }

  /** A code bound to a real S256 challenge, for the token-endpoint cases. */
  const code = () => registerAndAuthorize(at.p.issuer, at.p.mcpUrl, at.p.password);

  it('authorization request without a code_challenge is refused before sign-in', async () => {
    await refusedAtAuthorize({ code_challenge: '', code_challenge_method: '' }, /requires PKCE/);
  });

  it('plain code_challenge_method is refused (downgrade from S256)', async () => {
    await refusedAtAuthorize({ code_challenge_method: 'plain' }, /code_challenge_method/);
  });

  it('code_challenge too short to be an S256 hash is refused', async () => {
    await refusedAtAuthorize({ code_challenge: 'short' }, /code_challenge must be .* 43 characters/);
  });

  it('wrong code_verifier is refused at the token endpoint', async () => {
    const { clientId, code: c } = await code();
    assertOAuthError(await redeem(at.p.issuer, clientId, c, pkce().verifier), 400, 'invalid_grant');
  });

  it('missing code_verifier is refused at the token endpoint', async () => {
    const { clientId, code: c } = await code();
    const res = await tokenRequest(at.p.issuer, { grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT, client_id: clientId });
    assertOAuthError(res, 400, 'invalid_grant');
  });

  it('the challenge itself sent as the verifier (plain downgrade at /token) is refused', async () => {
    const { clientId, code: c, challenge } = await code();
    assertOAuthError(await redeem(at.p.issuer, clientId, c, challenge), 400, 'invalid_grant');
  });

  it('code_verifier too short to be a verifier is refused as malformed', async () => {
    const { clientId, code: c } = await code();
    assertOAuthError(await redeem(at.p.issuer, clientId, c, 'abc'), 400, 'invalid_request', /code_verifier/);
  });

  it('the metadata offers S256 only', async () => {
    const metadata = await (await fetch(`${at.p.issuer}/.well-known/oauth-authorization-server`)).json();
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
  });
});
