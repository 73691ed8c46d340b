// /revoke (RFC 7009): revoking a refresh token or an access token ends the grant, and /mcp
// refuses its access tokens at once; another client cannot revoke them. Also CORS on /register.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectWithOAuth, MemoryOAuthProvider } from './helpers/oauth-client.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';
import { mcpInitialize } from './helpers/flow.js';

describe('revocation', () => {
  let postern: TestPostern;
  before(async () => {
    postern = await startTestPostern();
  });
  after(() => postern.destroy());

  async function signIn() {
    const provider = new MemoryOAuthProvider();
    const { client } = await connectWithOAuth(postern.mcpUrl, provider, { username: 'admin', password: postern.password });
    await client.close();
    return { clientId: provider.info!.client_id, tokens: provider.savedTokens! };
  }

  const mcpStatus = async (token: string) => {
    const res = await mcpInitialize(postern.mcpUrl, token);
    await res.body?.cancel();
    return res.status;
  };
  const form = (url: string, fields: Record<string, string>) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });

  it('revoking the refresh token ends the grant', async () => {
    const { clientId, tokens } = await signIn();
    assert.equal(await mcpStatus(tokens.access_token), 200);
    const res = await form(`${postern.issuer}/revoke`, { token: tokens.refresh_token!, client_id: clientId });
    assert.equal(res.status, 200);
    assert.equal(await mcpStatus(tokens.access_token), 401);
    const refresh = await form(`${postern.issuer}/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: clientId });
    assert.equal(refresh.status, 400);
    assert.equal((await refresh.json()).error, 'invalid_grant');
  });

  it('revoking the access token ends the grant', async () => {
    const { clientId, tokens } = await signIn();
    const res = await form(`${postern.issuer}/revoke`, { token: tokens.access_token, client_id: clientId, token_type_hint: 'access_token' });
    assert.equal(res.status, 200);
    assert.equal(await mcpStatus(tokens.access_token), 401);
  });

  it('a revoked token stays refused after more revocations than the guard remembers', async () => {
    const { clientId, tokens } = await signIn();
    assert.equal(await mcpStatus(tokens.access_token), 200);
    assert.equal((await form(`${postern.issuer}/revoke`, { token: tokens.access_token, client_id: clientId })).status, 200);
    assert.equal(await mcpStatus(tokens.access_token), 401);
    // 100,001 more revoked grants push this one out of the guard's bounded memory of them.
    for (let i = 0; i <= 100_000; i++) await postern.store.oidcRevokeByGrantId('AccessToken', `flood-${i}`);
    assert.equal(await mcpStatus(tokens.access_token), 401, 'refused from the store once forgotten');
  });

  it('another client cannot revoke a token it was not issued', async () => {
    const victim = await signIn();
    const other = await signIn();
    await form(`${postern.issuer}/revoke`, { token: victim.tokens.access_token, client_id: other.clientId });
    await form(`${postern.issuer}/revoke`, { token: victim.tokens.refresh_token!, client_id: other.clientId });
    assert.equal(await mcpStatus(victim.tokens.access_token), 200);
  });

  it('answers CORS preflight and requests on /register', async () => {
    const pre = await fetch(`${postern.issuer}/register`, {
      method: 'OPTIONS',
      headers: { origin: 'https://inspector.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /content-type/);
    const reg = await fetch(`${postern.issuer}/register`, {
      method: 'POST',
      headers: { origin: 'https://inspector.example', 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['cursor://anysphere.cursor-mcp/oauth/callback'], token_endpoint_auth_method: 'none', client_name: 'Cursor' }),
    });
    assert.equal(reg.status, 201, await reg.clone().text());
    assert.equal(reg.headers.get('access-control-allow-origin'), '*');
    assert.deepEqual((await reg.json()).redirect_uris, ['cursor://anysphere.cursor-mcp/oauth/callback']);
  });
});
