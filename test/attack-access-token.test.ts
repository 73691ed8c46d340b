// Attack family: access tokens at /mcp — wrong audience or issuer, expired, not yet valid, alg none, HS256 with the public key, tampering, foreign keys, token in the query string.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { base64url, decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { authorizeUrl, fullFlow, mcpInitialize, redeem, register, registerAndAuthorize } from './helpers/flow.js';
import { assertBearerRefused, assertErrorRedirect, assertOAuthError, mcpStatus, usePostern } from './helpers/attack.js';
import { now, tokenForger, type Forger } from './helpers/forge.js';

describe('attacks with access tokens', () => {
  const at = usePostern();
  let good: string;
  let forge: Forger;
  before(async () => {
    good = (await fullFlow(at.p.issuer, at.p.mcpUrl, at.p.password)).tokens.body.access_token;
    forge = await tokenForger(at.p);
  });

  /** /mcp answers 401 invalid_token for this token, with the reason. */
  const refused = async (token: string, reason: RegExp) => assertBearerRefused(at.p, await mcpInitialize(at.p.mcpUrl, token), 401, 'invalid_token', reason);

  it('request without a token is challenged towards the protected-resource metadata', async () => {
    const res = await fetch(at.p.mcpUrl, { method: 'POST' });
    assert.equal(res.status, 401);
    assert.equal(
      res.headers.get('www-authenticate'),
      `Bearer resource_metadata="${at.p.issuer}/.well-known/oauth-protected-resource/mcp", scope="mcp:tools mcp:resources mcp:prompts"`,
    );
    assert.equal(res.headers.get('mcp-session-id'), null);
  });

  it('issued tokens are RS256 at+jwt bound to the /mcp audience and its client (control)', async () => {
    const { p } = at;
    const flow = await fullFlow(p.issuer, p.mcpUrl, p.password);
    assert.equal(flow.tokens.status, 200);
    assert.equal(flow.tokens.body.token_type, 'Bearer');
    const header = decodeProtectedHeader(flow.tokens.body.access_token);
    assert.equal(header.alg, 'RS256');
    assert.equal(header.typ, 'at+jwt');
    const claims = decodeJwt(flow.tokens.body.access_token);
    assert.equal(claims.aud, p.mcpUrl);
    assert.equal(claims.iss, p.issuer);
    assert.equal(claims.sub, 'local:admin');
    assert.equal(claims.client_id, flow.clientId);
    assert.match(String(claims.scope), /\bmcp:tools\b/);
    assert.equal(claims.exp! - claims.iat!, 3600);
    assert.ok(flow.tokens.body.refresh_token);
    assert.equal(await mcpStatus(p, flow.tokens.body.access_token), 200);
  });

  it('token that our key signed for our audience is accepted (control)', async () => {
    assert.equal(await mcpStatus(at.p, await forge.sign()), 200);
  });

  it('token for another audience is refused', async () => {
    await refused(await forge.sign({ aud: 'https://other.example/mcp' }), /another audience/);
  });

  it('token from another issuer is refused', async () => {
    await refused(await forge.sign({ iss: 'https://evil.example' }), /another issuer/);
  });

  it('expired token is refused', async () => {
    await refused(await forge.sign({ exp: now() - 120, iat: now() - 3700 }), /expired/);
  });

  it('token that is not valid yet (nbf in the future) is refused', async () => {
    await refused(await forge.sign({ exp: now() + 7200, nbf: now() + 3600 }), /not valid yet/);
  });

  it('token without an expiry is refused', async () => {
    await refused(await forge.sign({ exp: undefined }), /exp claim/);
  });

  it('unsigned token (alg: none) is refused', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' }));
    const payload = base64url.encode(JSON.stringify({ iss: at.p.issuer, aud: at.p.mcpUrl, sub: 'local:admin', client_id: 'c', exp: now() + 60 }));
    await refused(`${header}.${payload}.`, /algorithm|malformed|signature/);
  });

  it('HS256 token signed with the public key as the secret is refused', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(forge.publicJwk));
    const token = await new SignJWT({ iss: at.p.issuer, aud: at.p.mcpUrl, sub: 'local:admin', client_id: 'c', exp: now() + 60 })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: forge.kid })
      .sign(secret);
    await refused(token, /algorithm/);
  });

  it('token with a tampered payload is refused', async () => {
    const [h, payload, s] = good.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    await refused(`${h}.${base64url.encode(JSON.stringify({ ...claims, sub: 'local:root' }))}.${s}`, /signature/);
  });

  it('token signed by a foreign key under our key id is refused', async () => {
    await refused(await forge.sign({}, {}, await forge.foreignKey()), /signature/);
  });

  it('token signed by a foreign key that points at its own jku is refused', async () => {
    await refused(await forge.sign({}, { kid: 'attacker', jku: 'https://evil.example/jwks' }, await forge.foreignKey()), /unknown key/);
  });

  it('token of another type (typ JWT, e.g. an ID token) is refused', async () => {
    await refused(await forge.sign({}, { typ: 'JWT' }), /typ/);
  });

  it('token in the query string is refused even when valid', async () => {
    const res = await fetch(`${at.p.mcpUrl}?access_token=${good}`, { method: 'POST' });
    await assertBearerRefused(at.p, res, 400, 'invalid_request', /query string/);
  });

  it('garbage bearer token is refused', async () => {
    await refused('abc', /not recognized/);
  });

  it('credentials in another scheme (Basic) are refused', async () => {
    const res = await fetch(at.p.mcpUrl, { method: 'POST', headers: { authorization: 'Basic eDp5' } });
    await assertBearerRefused(at.p, res, 400, 'invalid_request', /Bearer/);
  });

  it('authorization request for another resource is refused with invalid_target and no code', async () => {
    const { body: client } = await register(at.p.issuer);
    const res = await fetch(authorizeUrl(at.p.issuer, at.p.mcpUrl, client.client_id, { resource: 'https://other.example/api' }), { redirect: 'manual' });
    assertErrorRedirect(res.headers.get('location'), 'invalid_target', at.p.issuer);
  });

  it('code exchange naming another resource is refused, so no token for a foreign audience', async () => {
    const { p } = at;
    const { clientId, code, verifier } = await registerAndAuthorize(p.issuer, p.mcpUrl, p.password);
    assertOAuthError(await redeem(p.issuer, clientId, code, verifier, { resource: 'https://other.example/api' }), 400, 'invalid_target');
  });

  it('the root URL as the resource still binds the token to /mcp (control)', async () => {
    const { p } = at;
    const { clientId, code, verifier } = await registerAndAuthorize(p.issuer, p.mcpUrl, p.password, { resource: `${p.issuer}/` });
    const tokens = await redeem(p.issuer, clientId, code, verifier, { resource: `${p.issuer}/` });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.equal(decodeJwt(tokens.body.access_token).aud, p.mcpUrl);
  });
});
