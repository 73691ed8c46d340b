// Attack family: refresh tokens — reuse of a rotated token (the grant is revoked), another client's token, forged tokens, scope and resource escalation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fullFlow, refresh, register } from './helpers/flow.js';
import { assertOAuthError, mcpStatus, usePostern } from './helpers/attack.js';

describe('attacks on refresh tokens', () => {
  const at = usePostern();
  const signIn = () => fullFlow(at.p.issuer, at.p.mcpUrl, at.p.password);

  it('reused refresh token is refused and the whole grant, with its access tokens, is revoked', async () => {
    const { p } = at;
    const flow = await signIn();
    const first = flow.tokens.body.refresh_token;
    const next = await refresh(p.issuer, flow.clientId, first);
    assert.equal(next.status, 200);
    assert.notEqual(next.body.refresh_token, first, 'rotated on use');
    assert.equal(await mcpStatus(p, next.body.access_token), 200);

    assertOAuthError(await refresh(p.issuer, flow.clientId, first), 400, 'invalid_grant');
    assertOAuthError(await refresh(p.issuer, flow.clientId, next.body.refresh_token), 400, 'invalid_grant');
    assert.equal(await mcpStatus(p, next.body.access_token), 401, 'the newest access token died with the grant');
    assert.equal(await mcpStatus(p, flow.tokens.body.access_token), 401, 'and so did the first');
  });

  it('refresh token of client A presented by client B is refused, and stays usable by A', async () => {
    const { p } = at;
    const a = await signIn();
    const { body: b } = await register(p.issuer);
    assertOAuthError(await refresh(p.issuer, b.client_id, a.tokens.body.refresh_token), 400, 'invalid_grant');
    const own = await refresh(p.issuer, a.clientId, a.tokens.body.refresh_token);
    assert.equal(own.status, 200, 'the attempt did not hand B a way to revoke A');
  });

  it('forged refresh token is refused', async () => {
    const { p } = at;
    const flow = await signIn();
    const token = flow.tokens.body.refresh_token;
    const forged = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    assertOAuthError(await refresh(p.issuer, flow.clientId, forged), 400, 'invalid_grant');
  });

  it('refresh asking for a scope the grant never had is refused', async () => {
    const { p } = at;
    const flow = await signIn();
    const res = await refresh(p.issuer, flow.clientId, flow.tokens.body.refresh_token, { scope: 'mcp:tools mcp:prompts' });
    assertOAuthError(res, 400, 'invalid_scope', /scope/);
    assert.equal(res.body.scope, 'mcp:prompts', 'names the scope it will not add');
  });

  it('refresh for another resource (audience) is refused', async () => {
    const { p } = at;
    const flow = await signIn();
    const res = await refresh(p.issuer, flow.clientId, flow.tokens.body.refresh_token, { resource: 'https://other.example/api' });
    assertOAuthError(res, 400, 'invalid_target');
  });
});
