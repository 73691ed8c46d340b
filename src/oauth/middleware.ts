// Koa middleware in front of oidc-provider's routes for what it does not do by itself:
// the per-address limit on authorization requests (authorization-gate.ts), CORS on /register
// (browser-based clients register too), its rate limit and initial access token
// (registration-gate.ts), a client's expiry moved on when it gets a token (client-expiry.ts), the
// default scope for an authorization request that names none (RFC 6749 §3.3: the MCP scopes),
// offline_access granted exactly when a refresh token comes with it (offline.ts), and
// revocation of JWT access tokens — they are not stored, so revoking one revokes its grant
// (RFC 7009 §2.1 allows that), which the guard sees at once through the store's grant events.
// (Oversize bodies: edge/body-limit.ts.)
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import type Provider from 'oidc-provider';
import type { OidcArtifacts } from '../store/types.js';
import { DEFAULT_SCOPES } from '../protocol/scopes.js';
import type { RegistrationGate } from './registration-gate.js';
import { type AuthorizationGate, tooManyRequests } from './authorization-gate.js';
import { authorizationErrorPage } from './pages.js';
import { pageHeaders } from '../pages/headers.js';
import { askConsentForOffline, withOfflineScope } from './offline.js';

const GRANT_MODELS = ['AccessToken', 'RefreshToken', 'AuthorizationCode'];

export async function revokeGrant(store: OidcArtifacts, grantId: string): Promise<void> {
  for (const model of GRANT_MODELS) await store.oidcRevokeByGrantId(model, grantId);
  await store.oidcDestroy('Grant', grantId);
}

export interface MiddlewareDeps {
  store: OidcArtifacts;
  issuer: string;
  jwks: JSONWebKeySet;
  gate: RegistrationGate;
  authorizationGate: AuthorizationGate;
  /** Called after a token was issued or refreshed for a client. */
  clientUsed: (clientId: string) => Promise<void>;
}

export function installMiddleware(provider: Provider, deps: MiddlewareDeps): void {
  const keys = createLocalJWKSet(deps.jwks);

  provider.use(async (ctx, next) => {
    if (deps.authorizationGate.counts(ctx.path, ctx.method)) {
      const wait = await deps.authorizationGate.wait(ctx.req);
      if (wait > 0) {
        const refusal = tooManyRequests(wait);
        ctx.status = 429;
        if (ctx.path === '/authorize') {
          // Nothing of the request is checked yet (not its redirect URI): the error is shown here, not sent back.
          ctx.set({ ...pageHeaders(), 'retry-after': String(wait) });
          ctx.type = 'html';
          ctx.body = authorizationErrorPage(refusal, undefined);
        } else {
          ctx.set({ 'retry-after': String(wait), 'cache-control': 'no-store' });
          ctx.body = refusal;
        }
        return;
      }
    }
    if (ctx.path === '/authorize' && ctx.method === 'GET' && !ctx.query.request && !ctx.query.request_uri) {
      if (!ctx.query.scope) ctx.query = { ...ctx.query, scope: DEFAULT_SCOPES.join(' ') };
      else ctx.query = askConsentForOffline(ctx.query);
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
    // An unknown client (a metadata document that cannot be had, among others) is 401 at the
    // token endpoint, as for a client that fails authentication: clients such as Claude.ai
    // register again on 401 invalid_client, not on 400.
    if (ctx.path === '/token' && ctx.status === 400 && (ctx.body as { error?: string } | undefined)?.error === 'invalid_client') {
      ctx.status = 401;
    }
    if (tokenFor) {
      await deps.clientUsed(tokenFor);
      ctx.body = withOfflineScope(ctx.body, ctx.oidc?.entities.Grant);
    }
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
