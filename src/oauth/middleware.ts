// Koa middleware in front of oidc-provider's routes for what it does not do by itself:
// CORS on /register (browser-based clients register too), 413 for an oversize registration, its
// rate limit and initial access token (registration-gate.ts), a client's expiry moved on when it
// gets a token (client-expiry.ts), the
// default scope for an authorization request that names none (RFC 6749 §3.3: the MCP scopes), and
// revocation of JWT access tokens — they are not stored, so revoking one revokes its grant
// (RFC 7009 §2.1 allows that), which the guard sees at once through the store's grant events.
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import type Provider from 'oidc-provider';
import type { OidcArtifacts } from '../store/types.js';
import { DEFAULT_SCOPES } from '../protocol/scopes.js';
import type { RegistrationGate } from './registration-gate.js';

const GRANT_MODELS = ['AccessToken', 'RefreshToken', 'AuthorizationCode'];
/** oidc-provider's own body limit; it reports a larger body as "failed to parse the request body". */
const REGISTRATION_BODY_LIMIT = 56 * 1024;

export async function revokeGrant(store: OidcArtifacts, grantId: string): Promise<void> {
  for (const model of GRANT_MODELS) await store.oidcRevokeByGrantId(model, grantId);
  await store.oidcDestroy('Grant', grantId);
}

export interface MiddlewareDeps {
  store: OidcArtifacts;
  issuer: string;
  jwks: JSONWebKeySet;
  gate: RegistrationGate;
  /** Called after a token was issued or refreshed for a client. */
  clientUsed: (clientId: string) => Promise<void>;
}

export function installMiddleware(provider: Provider, deps: MiddlewareDeps): void {
  const keys = createLocalJWKSet(deps.jwks);

  provider.use(async (ctx, next) => {
    if (ctx.path === '/authorize' && ctx.method === 'GET' && !ctx.query.scope && !ctx.query.request && !ctx.query.request_uri) {
      ctx.query = { ...ctx.query, scope: DEFAULT_SCOPES.join(' ') };
    }
    if (ctx.path === '/register') {
      ctx.set('access-control-allow-origin', '*');
      if (ctx.method === 'OPTIONS') {
        ctx.set('access-control-allow-methods', 'POST');
        ctx.set('access-control-allow-headers', 'content-type, authorization');
        ctx.set('access-control-max-age', '600');
        ctx.status = 204;
        return;
      }
      if (ctx.method === 'POST' && (ctx.request.length ?? 0) > REGISTRATION_BODY_LIMIT) {
        ctx.status = 413;
        ctx.set('cache-control', 'no-store');
        ctx.body = { error: 'invalid_request', error_description: `the registration request is larger than ${REGISTRATION_BODY_LIMIT} bytes` };
        return;
      }
      const refusal = ctx.method === 'POST' ? await deps.gate.refusal(ctx.req) : undefined;
      if (refusal) {
        ctx.status = refusal.status;
        ctx.set({ ...refusal.headers, 'cache-control': 'no-store' });
        ctx.body = refusal.body;
        return;
      }
    }
    await next();
    const tokenFor = ctx.path === '/token' && ctx.method === 'POST' && ctx.status === 200 ? ctx.oidc?.client?.clientId : undefined;
    if (tokenFor) await deps.clientUsed(tokenFor);
    // oidc-provider answers a structured (JWT) token at /revoke with unsupported_token_type after
    // it has authenticated the client; take over from there.
    if (ctx.path === '/revoke' && ctx.method === 'POST' && ctx.status === 400) {
      const clientId = ctx.oidc?.client?.clientId;
      const token = ctx.oidc?.params?.token;
      const error = (ctx.body as { error?: string } | undefined)?.error;
      if (error !== 'unsupported_token_type' || !clientId || typeof token !== 'string') return;
      try {
        const { payload } = await jwtVerify(token, keys, { issuer: deps.issuer, algorithms: ['RS256'] });
        if (payload.client_id === clientId && typeof payload.gid === 'string') await revokeGrant(deps.store, payload.gid);
      } catch {
        // Not one of ours, expired or malformed: nothing to revoke.
      }
      // RFC 7009: the answer is 200 whether or not there was anything to revoke.
      ctx.status = 200;
      ctx.body = '';
    }
  });
}
