// The composition root: opens the store, loads keys and users, starts the backends, builds the
// authorization server (or, in resource-server-only mode, the link to an external one), the
// guard and the MCP endpoint, and serves them on one HTTP listener.
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { BackendRegistry } from './backends/registry.js';
import type { Config } from './config/schema.js';
import { createApp } from './edge/app.js';
import { createDispatcher, listen, serveWith } from './edge/server.js';
import { createMcpLane } from './edge/mcp-lane.js';
import { commitBeforeResponse } from './edge/commit-before-response.js';
import { Guard } from './guard/guard.js';
import { JwtVerifier } from './guard/jwt-verifier.js';
import { StaticTokenVerifier } from './guard/static-tokens.js';
import { ToolPolicy } from './mcp/policy.js';
import { Audit } from './audit/trail.js';
import { LocalUsers } from './identity/local/users.js';
import { Sealer } from './identity/sealed.js';
import { McpEndpoint } from './mcp/endpoint.js';
import { Csrf } from './oauth/csrf.js';
import { createInteractionHandler } from './oauth/interactions.js';
import { identityFromConfig } from './identity/from-config.js';
import { createAccountHandler } from './oauth/account.js';
import { LoginLimits } from './oauth/login-limits.js';
import { followSigningKeys, loadSigningKeys } from './oauth/keys.js';
import { createProvider } from './oauth/provider.js';
import { LiveProvider } from './oauth/live-provider.js';
import { DEFAULT_SCOPES, MCP_SCOPES } from './protocol/scopes.js';
import { ClientRestrictions, storedClientLookup } from './mcp/client-restrictions.js';
import { externalGuard } from './external/setup.js';
import { deriveKey, loadSecret } from './oauth/secret.js';
import { openStore } from './store/index.js';
import type { Store } from './store/types.js';
import { VERSION } from './version.js';
import { isLoopbackHost } from './net/loopback.js';

export interface Postern {
  issuer: string;
  mcpUrl: string;
  port: number;
  store: Store;
  registry: BackendRegistry;
  /** The /mcp token gate; absent when auth is disabled. */
  guard?: Guard;
  /** Set when the user table was empty and the initial user was created. */
  initialPassword?: string;
  close(): Promise<void>;
}

export interface StartOptions {
  log: Logger;
  /** Wait this long for the backends' first connection before serving (default 10 s). */
  backendWaitMs?: number;
}

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export async function startPostern(config: Config, opts: StartOptions): Promise<Postern> {
  const { log } = opts;
  const store = openStore(config, { onCommitError: (err) => log.error({ err }, 'store commit failed') });
  const cleanup: Array<() => Promise<void> | void> = [() => store.close()];
  try {
    const users = new LocalUsers(store);
    const ownAs = config.auth.enabled && !config.auth.external;
    const initialPassword = ownAs && config.identity.local.enabled
      ? await users.ensureInitialUser(config.identity.local.initialUser)
      : undefined;
    const secret = loadSecret(config);

    const registry = new BackendRegistry(config.mcpServers ?? {}, { version: VERSION, log });
    cleanup.push(() => registry.stop());
    registry.start();
    await registry.waitReady(opts.backendWaitMs ?? 10_000);

    const { server, port } = await listen(config.server.host, config.server.port);
    cleanup.push(() => closeServer(server));
    const issuer = config.server.issuer?.replace(/\/$/, '') ?? `http://${urlHost(config.server.host)}:${port}`;
    const mcpUrl = `${issuer}/mcp`;
    const info = { name: 'postern', version: VERSION };

    const audit = new Audit(store, log);
    let guard: Guard | undefined;
    let provider;
    let interactions;
    let authorizationServer = issuer;
    let scopesSupported: string[] = [...MCP_SCOPES];
    if (config.auth.enabled && config.auth.external) {
      const external = await externalGuard({ config, issuer, mcpUrl, store, sealer: new Sealer(secret), log });
      ({ guard, authorizationServer, scopesSupported } = external);
    } else if (config.auth.enabled) {
      const keepKeysFor = config.auth.accessTokenTtl + 300;
      const keys = await loadSigningKeys(store, keepKeysFor);
      const identity = identityFromConfig(config.identity, { issuer, store, sealer: new Sealer(secret) });
      provider = new LiveProvider((keys) => createProvider({ config, issuer, mcpUrl, store, keys, secret, identity }), keys);
      provider.on('server_error', (_ctx, err) => log.error({ err }, 'authorization server error'));
      type EventContext = { oidc?: { client?: { clientId?: string }; account?: { accountId?: string } } } | undefined;
      const oauthEvent = (action: string, ok: boolean, ctx: EventContext, detail?: string) =>
        audit.oauth(action, ok, { subject: ctx?.oidc?.account?.accountId, client: ctx?.oidc?.client?.clientId, detail });
      provider.on('grant.revoked', (ctx, grantId) => oauthEvent('revoke', true, ctx, `grant ${grantId}`));
      provider.on('registration_create.success', (ctx) => oauthEvent('register', true, ctx));
      provider.on('grant.success', (ctx) => oauthEvent(ctx.oidc.params?.grant_type === 'refresh_token' ? 'refresh' : 'token', true, ctx));
      provider.on('grant.error', (ctx, err) =>
        oauthEvent(/already (consumed|used)/.test(String((err as Error & { error_detail?: string }).error_detail ?? err.message)) ? 'reuse_detected' : 'token', false, ctx, (err as Error).message),
      );
      const csrf = new Csrf(deriveKey(secret, 'csrf'));
      const account = createAccountHandler({ issuer, store, csrf, key: deriveKey(secret, 'account') });
      const pages = provider.perInstance((current) => createInteractionHandler({
        provider: current,
        identity,
        audit,
        limits: new LoginLimits({ trustProxy: config.server.trustProxy }),
        csrf,
        log,
      }));
      interactions = async (req: IncomingMessage, res: ServerResponse, pathname: string) =>
        (await pages()(req, res, pathname)) || account(req, res, pathname);
      const verifier = new JwtVerifier({ issuer, audience: mcpUrl, jwks: keys.publicJwks, store });
      // `postern keys rotate` on a running server: the guard trusts the new key first, then the
      // authorization server is rebuilt to sign with it (and publish both at /jwks).
      const live = provider;
      cleanup.push(followSigningKeys(store, keepKeysFor, keys, (rotated) => {
        verifier.useKeys(rotated.publicJwks);
        live.useKeys(rotated);
        log.info({ kid: rotated.active.jwk.kid }, 'signing key rotated');
      }, (err) => log.error({ err }, 'loading the rotated signing keys failed')));
      guard = new Guard({
        verifiers: [verifier, new StaticTokenVerifier(store, config.identity.staticTokens)],
        resourceMetadataUrl: `${issuer}/.well-known/oauth-protected-resource/mcp`,
        scopes: DEFAULT_SCOPES,
      });
    }

    const policy = new ToolPolicy(config.policy.rules);
    if (!policy.hasRules) log.warn('no policy rules configured: every signed-in caller may use every tool');
    const { idleTtl, ...sessionCaps } = config.mcp.sessions;
    const endpoint = new McpEndpoint({
      registry,
      info,
      log,
      sessionCaps,
      sessionIdleMs: idleTtl * 1000,
      policy,
      audit,
      restrictions: new ClientRestrictions(
        config.policy.clients,
        ownAs ? storedClientLookup(async (id) => (await store.oidcFind('Client', id))?.payload) : async () => undefined,
      ),
      insufficientScope: guard && ((needed, granted) => guard!.insufficientScope(needed, granted)),
    });
    cleanup.push(() => endpoint.close());

    const app = createApp({
      issuer,
      mcpUrl,
      guard,
      protectedResourceMetadata: guard && {
        resource: mcpUrl,
        authorization_servers: [authorizationServer],
        scopes_supported: scopesSupported,
        bearer_methods_supported: ['header'],
        resource_name: 'Postern MCP gateway',
      },
      endpoint,
      registry,
      corsOrigins: config.server.corsOrigins,
      version: VERSION,
    });
    // Loopback names (net/loopback.ts) are served besides these.
    const allowedHosts = new Set([new URL(issuer).hostname.toLowerCase()]);
    if (!isLoopbackHost(config.server.host)) allowedHosts.add(urlHost(config.server.host).toLowerCase());
    const dispatch = createDispatcher(
      {
        app,
        authorizationServer: provider?.callback(),
        interactions,
        allowedHosts,
        issuer: new URL(issuer),
        trustProxy: config.server.trustProxy,
        mcpLane: createMcpLane({ guard, endpoint, mcpUrl }),
      },
      log,
    );
    serveWith(server, commitBeforeResponse(store, dispatch, (err) => log.error({ err }, 'store commit failed; the response was dropped')));

    const sweeper = setInterval(() => void store.sweepExpired().catch((err) => log.warn({ err }, 'sweep failed')), 600_000);
    sweeper.unref();
    cleanup.push(() => clearInterval(sweeper));

    log.info({ issuer, mcpUrl, auth: config.auth.enabled, store: store.kind, backends: registry.status() }, 'postern started');
    return {
      issuer,
      mcpUrl,
      port,
      store,
      registry,
      guard,
      initialPassword,
      close: () => runCleanup(cleanup),
    };
  } catch (err) {
    await runCleanup(cleanup);
    throw err;
  }
}

async function runCleanup(steps: Array<() => Promise<void> | void>): Promise<void> {
  for (const step of steps.reverse()) await step();
}

function closeServer(server: HttpServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
