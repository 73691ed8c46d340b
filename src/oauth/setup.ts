// Postern's own authorization server, built from the configuration: the initial local user,
// signing keys (followed when `postern keys rotate` runs), the identity sources, oidc-provider
// with its events in the audit trail (and refused authorizations in the log), pre-registered
// clients, the sign-in and account pages (and the admin console's session), and the guard for /mcp that trusts its tokens and the
// static tokens.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Audit } from '../audit/trail.js';
import type { Config } from '../config/schema.js';
import { Guard } from '../guard/guard.js';
import { JwtVerifier } from '../guard/jwt-verifier.js';
import { StaticTokenVerifier } from '../guard/static-tokens.js';
import { identityFromConfig } from '../identity/from-config.js';
import { LocalUsers } from '../identity/local/users.js';
import { NextcloudConnect } from '../identity/nextcloud/connect.js';
import type { NextcloudLinks } from '../identity/nextcloud/links.js';
import type { Sealer } from '../identity/sealed.js';
import { DEFAULT_SCOPES, MCP_SCOPES } from '../protocol/scopes.js';
import type { Store } from '../store/types.js';
import { createAccountHandler } from './account.js';
import { unlinkNextcloudOnLastGrant } from './unlink-on-withdrawal.js';
import type { IdentitySources } from '../identity/sources.js';
import { createPageSession, type PageSession } from './page-session.js';
import { createRemoteAccountSection } from './account-remote.js';
import type { RemoteAccounts } from '../identity/remote-oauth/accounts.js';
import { Csrf } from './csrf.js';
import { createInteractionHandler } from './interactions.js';
import { followSigningKeys, loadSigningKeys } from './keys.js';
import { LiveProvider } from './live-provider.js';
import { LoginLimits } from './login-limits.js';
import { RegistrationGate } from './registration-gate.js';
import { AuthorizationGate } from './authorization-gate.js';
import { anyClientSecret } from './preregistered-clients.js';
import { createProvider } from './provider.js';
import { primeClientCache } from './client-cache.js';
import { deriveKey } from './secret.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface OwnAuthorizationServer {
  guard: Guard;
  authorizationServer: string;
  scopesSupported: string[];
  /** oidc-provider's own endpoints. */
  callback: Handler;
  /** The sign-in, consent and account pages; false when the path is none of theirs. */
  interactions(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean>;
  /** Set when the user table was empty and the initial user was created. */
  initialPassword?: string;
  /**
   * A client's metadata, for every kind of client the authorization server knows: registered,
   * pre-registered, and metadata-document clients (fetched, or from the provider's cache).
   */
  findClient(clientId: string): Promise<Record<string, unknown> | undefined>;
  /** Stops following key rotations and grant withdrawals. */
  stop(): void;
  /** What the admin console builds on: its browser session, the forms' CSRF tokens, the users' accounts. */
  adminBase: { session: PageSession; csrf: Csrf; identity: IdentitySources };
}

export async function ownAuthorizationServer(deps: {
  config: Config;
  issuer: string;
  mcpUrl: string;
  store: Store;
  secret: string;
  sealer: Sealer;
  /** Users' Nextcloud links (app passwords), made at sign-in and on the account page. */
  links: NextcloudLinks;
  audit: Audit;
  log: Logger;
  /** Certificates (PEM) trusted besides the system's when fetching client ID metadata documents (tests). */
  documentCa?: string[];
  /** The users' links to `auth: oauth` backends, made on the account page. */
  remoteAccounts?: RemoteAccounts;
  /** The first signing key, already being made (the serve command starts it early). */
  signingKey?: Promise<void>;
}): Promise<OwnAuthorizationServer> {
  const { config, issuer, mcpUrl, store, secret, audit, log, links } = deps;
  const keepKeysFor = config.auth.accessTokenTtl + 300;
  // The first user's password hash and the first signing key are both made on the thread pool.
  const [initialPassword, keys] = await Promise.all([
    config.identity.local.enabled ? new LocalUsers(store).ensureInitialUser(config.identity.local.initialUser, store) : undefined,
    (async () => {
      await deps.signingKey;
      return loadSigningKeys(store, keepKeysFor);
    })(),
  ]);
  const identity = identityFromConfig(config.identity, { issuer, store, sealer: deps.sealer, links, stateKey: deriveKey(secret, 'oidc-upstream-state') });
  const clientSecrets = await anyClientSecret(config, store);
  // Built once: a provider rebuilt for a new signing key keeps counting where the last one was.
  const gates = {
    registration: new RegistrationGate(config.auth.registration, config.server.trustProxy, store),
    authorization: new AuthorizationGate(config.auth.authorizationRateLimit, config.server.trustProxy, store),
  };
  const provider = new LiveProvider(
    (keys) => createProvider({ config, issuer, mcpUrl, store, keys, secret, identity, clientSecrets, fetchCa: deps.documentCa, gates }),
    keys,
  );
  auditProviderEvents(provider, audit, log);
  provider.on('authorization.success', (ctx) => void gates.authorization.completed(ctx.req));
  provider.on('registration_create.success', primeClientCache);
  const csrf = new Csrf(deriveKey(secret, 'csrf'));
  const nextcloud = config.identity.nextcloud;
  const sessionKey = deriveKey(secret, 'account');
  const remote = deps.remoteAccounts && createRemoteAccountSection({ accounts: deps.remoteAccounts, csrf, audit, log });
  const account = createAccountHandler({
    issuer,
    store,
    csrf,
    session: createPageSession({ issuer, store, key: sessionKey, path: '/account' }),
    identity,
    nextcloud: nextcloud && new NextcloudConnect(links, nextcloud, { store, sealer: deps.sealer }),
    remote,
  });
  const stopUnlinking = unlinkNextcloudOnLastGrant(store, links, log);
  const limits = new LoginLimits(store, { trustProxy: config.server.trustProxy });
  const pages = provider.perInstance((current) => createInteractionHandler({ provider: current, identity, audit, limits, csrf, log }));
  const verifier = new JwtVerifier({ issuer, audience: mcpUrl, jwks: keys.publicJwks, store });
  // `postern keys rotate` on a running server: the guard trusts the new key first, then the
  // authorization server is rebuilt to sign with it (and publish both at /jwks).
  const stop = followSigningKeys(
    store,
    keepKeysFor,
    keys,
    (rotated) => {
      verifier.useKeys(rotated.publicJwks);
      provider.useKeys(rotated);
      log.info({ kid: rotated.active.jwk.kid }, 'signing key rotated');
    },
    (err) => log.error({ err }, 'loading the rotated signing keys failed'),
  );
  const guard = new Guard({
    verifiers: [verifier, new StaticTokenVerifier(store, config.identity.staticTokens)],
    resourceMetadataUrl: `${issuer}/.well-known/oauth-protected-resource/mcp`,
    scopes: DEFAULT_SCOPES,
  });
  return {
    guard,
    authorizationServer: issuer,
    scopesSupported: [...MCP_SCOPES],
    callback: provider.callback(),
    interactions: async (req, res, pathname) => (await pages()(req, res, pathname)) || account(req, res, pathname),
    initialPassword,
    findClient: async (id) => (await provider.current.Client.find(id).catch(() => undefined))?.metadata(),
    stop: () => {
      stop();
      stopUnlinking();
    },
    adminBase: { session: createPageSession({ issuer, store, key: sessionKey, path: '/admin' }), csrf, identity },
  };
}

type EventContext = { oidc?: { client?: { clientId?: string }; account?: { accountId?: string } } } | undefined;

/** Registrations, tokens, refreshes, refresh-token reuse and revocations, in the audit trail. */
function auditProviderEvents(provider: LiveProvider, audit: Audit, log: Logger): void {
  const event = (action: string, ok: boolean, ctx: EventContext, detail?: string) =>
    audit.oauth(action, ok, { subject: ctx?.oidc?.account?.accountId, client: ctx?.oidc?.client?.clientId, detail });
  provider.on('server_error', (_ctx, err) => log.error({ err }, 'authorization server error'));
  // Why an authorization request was refused, with the cause (a metadata document's fetch
  // failure, for one), which the browser's error page does not show.
  provider.on('authorization.error', (ctx, err) => {
    const e = err as Error & { error_detail?: string; cause?: unknown };
    log.info({ client: ctx.oidc?.params?.client_id, err: e.message, detail: e.error_detail, cause: causeChain(e.cause) }, 'authorization refused');
  });
  provider.on('grant.revoked', (ctx, grantId) => event('revoke', true, ctx, `grant ${grantId}`));
  provider.on('registration_create.success', (ctx) => event('register', true, ctx));
  provider.on('grant.success', (ctx) => event(ctx.oidc.params?.grant_type === 'refresh_token' ? 'refresh' : 'token', true, ctx));
  provider.on('grant.error', (ctx, err) =>
    event(
      /already (consumed|used)/.test(String((err as Error & { error_detail?: string }).error_detail ?? err.message)) ? 'reuse_detected' : 'token',
      false,
      ctx,
      (err as Error).message,
    ),
  );
}

/** The messages of an error and of the errors that caused it, innermost last (at most 5). */
function causeChain(err: unknown): string | undefined {
  const messages: string[] = [];
  for (let e = err; e instanceof Error && messages.length < 5; e = e.cause) messages.push(e.message);
  return messages.length ? messages.join(': ') : undefined;
}
