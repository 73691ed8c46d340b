// The authorization server: oidc-provider configured for MCP clients. Public clients register
// dynamically (RFC 7591), identify themselves by a client ID metadata document URL, or are
// pre-registered by the operator; PKCE S256 is required, the `resource` is the /mcp URL (RFC 8707)
// and access tokens for it are RS256 JWTs; refresh tokens rotate and their reuse revokes the grant.
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config/schema.js';
import type { OidcArtifacts } from '../store/types.js';
import type { IdentitySources } from '../identity/sources.js';
import { createAdapterClass } from './adapter.js';
import { SIGNING_ALG, type SigningKeys } from './keys.js';
import { EXTERNAL_SIGNING_ACK, LocalSigningKey } from './signing-key.js';
import { authorizationErrorPage } from './pages.js';
import { pageHeaders } from '../pages/headers.js';
import { installMiddleware } from './middleware.js';
import { keepRecentAuthorizations } from './session-authorizations.js';
import { createInteractionPolicy } from './interaction-policy.js';
import { accountClient } from './page-session.js';
import { deriveKey } from './secret.js';
import { CookieKeys } from './cookie-keys.js';
import { checkClientMetadata, clientAuthMethods } from './registration-policy.js';
import { documentFetch, documentsFeature, fetchLimits, isDocumentClientId } from './client-id-documents.js';
import { acceptHashedSecrets, preregisteredMetadata } from './preregistered-clients.js';
import type { RegistrationGate } from './registration-gate.js';
import type { AuthorizationGate } from './authorization-gate.js';
import { createClientExpiry } from './client-expiry.js';
import { MCP_SCOPES, TOOLS, TOOLS_READ } from '../protocol/scopes.js';

export interface ProviderDeps {
  config: Config;
  issuer: string;
  mcpUrl: string;
  store: OidcArtifacts;
  keys: SigningKeys;
  secret: string;
  identity: IdentitySources;
  /** A pre-registered client has a secret: /token accepts client_secret_basic and _post. */
  clientSecrets?: boolean;
  /** Certificates trusted besides the system's when fetching metadata documents (tests only). */
  fetchCa?: string[];
  /** The per-address limits in front of /register and the authorization endpoint, kept across rebuilds. */
  gates: { registration: RegistrationGate; authorization: AuthorizationGate };
}

export function createProvider(deps: ProviderDeps): Provider {
  const { config, issuer, mcpUrl, store, keys, secret, identity } = deps;
  const documents = config.auth.clientIdMetadataDocuments;
  const ttl = config.auth;
  const acceptedResources = new Set([mcpUrl, `${mcpUrl}/`, issuer, `${issuer}/`]);
  // Postern's own clients (the account page) ask for what their page needs and never for a
  // resource: no token for /mcp can be minted through them, whatever the request says.
  const ownClients = [accountClient(issuer)];
  const ownClientIds = new Set(ownClients.map((c) => c.client_id));
  const isOwn = (client: { clientId: string } | undefined) => !!client && ownClientIds.has(client.clientId);

  const configuration: Configuration = {
    // A registered client is deleted when it gets no token in time (client-expiry.ts extends it).
    adapter: createAdapterClass(store, { Client: config.auth.registration.unfinishedClientTtl }),
    clients: [...ownClients, ...config.auth.clients.map(preregisteredMetadata)],
    // Exactly what /token and /revoke accept, and what discovery advertises.
    clientAuthMethods: clientAuthMethods(config.auth.registration, !!deps.clientSecrets),
    // The authorization server fetches only client ID metadata documents (and, with confidential
    // clients allowed, their jwks_uri), through the SSRF guard; jwks_uri and sector_identifier_uri
    // are refused at registration. With documents off, nothing gets a request out.
    fetch: documents.enabled
      ? (documentFetch(documents, deps.fetchCa) as unknown as NonNullable<Configuration['fetch']>)
      : async (url) => {
          throw new Error(`outbound fetch of ${String(url)} refused`);
        },
    fetchResponseBodyLimits: fetchLimits,
    jwks: { keys: keys.all.map((k) => new LocalSigningKey({ ...k.jwk, alg: SIGNING_ALG })) },
    cookies: {
      keys: new CookieKeys([deriveKey(secret, 'cookies')]),
      long: { signed: true, sameSite: 'lax' },
      short: { signed: true, sameSite: 'lax' },
    },
    async findAccount(_ctx, subject) {
      const principal = await identity.findAccount(subject);
      if (!principal) return undefined;
      return {
        accountId: subject,
        async claims() {
          return { sub: subject, name: principal.displayName, email: principal.email };
        },
      };
    },
    claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
    // MCP scopes are listed here too: clients put them in their registration metadata.
    scopes: ['openid', 'offline_access', 'profile', 'email', ...MCP_SCOPES],
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      // "native" accepts loopback http and app schemes (cursor://, vscode://) as well as https,
      // which is what MCP desktop and web clients register.
      application_type: 'native',
    },
    extraClientMetadata: {
      properties: ['software_id'],
      // Called once per listed property; software_id is always listed, so this runs once per client.
      validator(ctx, key, _value, metadata) {
        if (key !== 'software_id' || ownClientIds.has(String(metadata.client_id))) return;
        const registering = (ctx as KoaContextWithOIDC | undefined)?.oidc?.route === 'registration';
        const source = registering ? 'registration' : isDocumentClientId(metadata.client_id) ? 'document' : 'stored';
        checkClientMetadata(metadata, config.auth.registration, source);
        // A client registered for mcp:tools may also ask for the narrower mcp:tools:read.
        if (typeof metadata.scope === 'string') {
          const scopes = metadata.scope.split(' ');
          if (scopes.includes(TOOLS) && !scopes.includes(TOOLS_READ)) metadata.scope = [...scopes, TOOLS_READ].join(' ');
        }
      },
    },
    features: {
      devInteractions: { enabled: false },
      externalSigningSupport: { enabled: true, ack: EXTERNAL_SIGNING_ACK },
      // No registration access token: RFC 7592 client management is not offered (MCP clients do not
      // use it), so it would be a stored bearer credential for nothing, written on every registration.
      registration: { enabled: true, issueRegistrationAccessToken: false },
      revocation: { enabled: true },
      clientIdMetadataDocument: documentsFeature(documents),
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, client) => (isOwn(client) ? undefined : mcpUrl),
        useGrantedResource: () => true,
        getResourceServerInfo(_ctx, resourceIndicator, client) {
          if (isOwn(client)) throw new errors.InvalidTarget('this client cannot ask for a resource');
          // Clients name the resource by the URL they were given; the root URL and a trailing
          // slash mean the same endpoint. The token's audience is always the /mcp URL.
          if (!acceptedResources.has(resourceIndicator)) {
            throw new errors.InvalidTarget(`unknown resource; this server protects ${mcpUrl}`);
          }
          return {
            scope: MCP_SCOPES.join(' '),
            audience: mcpUrl,
            accessTokenTTL: ttl.accessTokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: SIGNING_ALG, kid: keys.active.jwk.kid } },
          };
        },
      },
    },
    ttl: {
      AccessToken: ttl.accessTokenTtl,
      AuthorizationCode: ttl.authorizationCodeTtl,
      RefreshToken: ttl.refreshTokenTtl,
      Grant: ttl.refreshTokenTtl,
      Session: ttl.sessionTtl,
      Interaction: 3600,
      IdToken: 3600,
    },
    // Refresh tokens for every client registered with the refresh_token grant, not only for
    // those that ask for offline_access (MCP clients rarely do).
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    // Codes and tokens live as long as their grant, not as long as the browser's sign-in session
    // at Postern: an MCP client is not the browser, and treating every client as if it had asked
    // for offline_access (as above) is oidc-provider's rule for that. Grants still end by expiry,
    // by withdrawal at /account, by refresh-token reuse and by code replay.
    expiresWithSession: async () => false,
    async loadExistingGrant(ctx) {
      const clientId = ctx.oidc.client!.clientId;
      keepRecentAuthorizations(ctx.oidc.session!, clientId);
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session!.grantIdFor(clientId);
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
    async extraTokenClaims(_ctx, token) {
      const { grantId, accountId } = token as unknown as { grantId?: string; accountId?: string };
      const principal = await identity.findAccount(accountId);
      // `gid` lets the guard drop tokens of a revoked grant (code replay, refresh-token reuse);
      // `roles` carries the user's roles to the tool policy.
      return { gid: grantId, roles: principal?.roles ?? [] };
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}`, policy: createInteractionPolicy() },
    routes: {
      authorization: '/authorize',
      token: '/token',
      registration: '/register',
      revocation: '/revoke',
      jwks: '/jwks',
      userinfo: '/userinfo',
      end_session: '/logout',
      introspection: '/introspect',
      pushed_authorization_request: '/par',
    },
    clientBasedCORS: () => true,
    conformIdTokenClaims: false,
    allowOmittingSingleRegisteredRedirectUri: false,
    async renderError(ctx: KoaContextWithOIDC, out) {
      ctx.set(pageHeaders());
      ctx.type = 'html';
      // With documents off, a URL client_id is just an id nobody registered.
      ctx.body = authorizationErrorPage(out, documents.enabled ? ctx.oidc?.params?.client_id : undefined);
    },
  };

  const provider = new Provider(issuer, configuration);
  acceptHashedSecrets(provider);
  // edge/server.ts sets X-Forwarded-Host/-Proto from the issuer on every request it passes on.
  provider.proxy = true;
  installMiddleware(provider, {
    store,
    issuer,
    jwks: keys.publicJwks,
    gate: deps.gates.registration,
    authorizationGate: deps.gates.authorization,
    clientUsed: createClientExpiry(store, config.auth.registration),
  });
  return provider;
}
