// Attack family: refresh tokens and codes — reuse of a rotated token (the grant is revoked), the same token or code redeemed
// by many requests at once (at most one wins, and the grant is revoked), another client's token, forged tokens, scope and
// resource escalation.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fullFlow, redeem, refresh, register, registerAndAuthorize } from './helpers/flow.js';
import { assertOAuthError, mcpStatus, usePostern, type Target } from './helpers/attack.js';
import { pgSchema, type PgSchema } from './helpers/postgres.js';
import { startTestPostern } from './helpers/postern.js';

describe('attacks on refresh tokens', () => {
  const at = usePostern();
  const signIn = () => fullFlow(at.p.issuer, at.p.mcpUrl, at.p.password);
  racingRedemptions(at, signIn);

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

/**
 * Redemptions racing on one Postern. oidc-provider checks `consumed` when it loads a token and consumes it a few
 * awaits later: without an atomic consume in the store, requests racing with one token could each get a fresh token
 * pair. On SQLite a process serves them one after another; on PostgreSQL (or across replicas) they interleave.
 */
function racingRedemptions(at: Target, signIn: () => ReturnType<typeof fullFlow>): void {
  it('one refresh token sent by many requests at once: at most one gets tokens, and the grant is revoked', async () => {
    const { p } = at;
    const flow = await signIn();
    const answers = await Promise.all(Array.from({ length: 8 }, () => refresh(p.issuer, flow.clientId, flow.tokens.body.refresh_token)));
    const won = answers.filter((a) => a.status === 200);
    assert.ok(won.length <= 1, `${won.length} of 8 racing refreshes got tokens`);
    for (const a of answers.filter((x) => x.status !== 200)) assertOAuthError(a, 400, 'invalid_grant');
    for (const a of won) {
      assertOAuthError(await refresh(p.issuer, flow.clientId, a.body.refresh_token), 400, 'invalid_grant');
      assert.equal(await mcpStatus(p, a.body.access_token), 401, "the winner's tokens died with the grant");
    }
  });

  it('one authorization code redeemed by many requests at once: at most one gets tokens, and the grant is revoked', async () => {
    const { p } = at;
    const { clientId, code, verifier } = await registerAndAuthorize(p.issuer, p.mcpUrl, p.password);
    const answers = await Promise.all(Array.from({ length: 8 }, () => redeem(p.issuer, clientId, code, verifier)));
    const won = answers.filter((a) => a.status === 200);
    assert.ok(won.length <= 1, `${won.length} of 8 racing redemptions got tokens`);
    for (const a of answers.filter((x) => x.status !== 200)) assertOAuthError(a, 400, 'invalid_grant');
    for (const a of won) assert.equal(await mcpStatus(p, a.body.access_token), 401, "the winner's token died with the grant");
  });
}

describe('attacks on refresh tokens and codes, PostgreSQL store', () => {
  const at = {} as Target;
  let schema: PgSchema | undefined;
  before(async () => {
    schema = await pgSchema();
    at.p = await startTestPostern({ mcpServers: {}, store: { driver: 'postgres', url: schema.url } });
  });
  after(async () => {
    await at.p?.destroy();
    await schema?.drop();
  });
  racingRedemptions(at, () => fullFlow(at.p.issuer, at.p.mcpUrl, at.p.password));
});
