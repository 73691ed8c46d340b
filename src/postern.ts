// The composition root: opens the store, starts the backends, listens, builds the authorization
// server (or, in resource-server-only mode, the link to an external one) with its guard, then the
// MCP endpoint, and serves them on one HTTP listener, observed as config `metrics`, `tracing` and
// `log.access` ask, with the admin console beside the sign-in pages. Each part builds itself (its setup.ts).
// The parts behind the listener are imported once the backends have started connecting, so that
// their loading overlaps the backends' handshakes; the admin console with its first request.
import type { Server as HttpServer } from 'node:http';
import type { AdminHandler } from './admin/console.js';
import type { Logger } from 'pino';
import { Audit } from './audit/trail.js';
import { BackendRegistry } from './backends/registry.js';
import { ownsAuthorization, type Config } from './config/schema.js';
import type { GatewayAuth } from './edge/setup.js';
import { listen } from './edge/server.js';
import type { Guard } from './guard/guard.js';
import { builtInToolsets } from './backends/kinds/built-in/toolsets.js';
import { UpstreamCredentials } from './identity/credentials.js';
import { LinkTickets } from './identity/nextcloud/link-tickets.js';
import { NextcloudLinks } from './identity/nextcloud/links.js';
import type { RemoteAccounts } from './identity/remote-oauth/accounts.js';
import type { RemoteAccess } from './backends/kinds/http/remote-access.js';
import { isOAuthBackend } from './backends/kinds/http/schema.js';
import { Sealer } from './identity/sealed.js';
import { ToolPolicy } from './mcp/policy.js';
import { startObservability } from './observability/index.js';
import { deriveKey, loadSecret } from './oauth/secret.js';
import type { OwnAuthorizationServer } from './oauth/setup.js';
import { openStore, sweepPeriodically } from './store/index.js';
import { Leases } from './store/lease.js';
import { nowSeconds, type OidcArtifacts, type Store } from './store/types.js';
import type { SessionRecord, SessionRecords } from './mcp/session-records.js';
import { VERSION } from './version.js';

export interface Postern {
  issuer: string;
  mcpUrl: string;
  port: number;
  store: Store;
  registry: BackendRegistry;
  /** The port of metrics.listen, when it is set. */
  metricsPort?: number;
  /** The /mcp token gate; absent when auth is disabled. */
  guard?: Guard;
  /** Set when the user table was empty and the initial user was created. */
  initialPassword?: string;
  /** Users' Nextcloud links. */
  links: NextcloudLinks;
  close(): Promise<void>;
}

export interface StartOptions {
  log: Logger;
  /** Wait this long for the backends' first connection before serving (default 10 s). */
  backendWaitMs?: number;
  /**
   * Certificates (PEM) trusted besides the system's when fetching client ID metadata documents.
   * For tests, whose document servers use a test CA; never set from the configuration.
   */
  documentCa?: string[];
  /** Replaces the OTLP trace exporter (tests). */
  spanExporter?: unknown;
  /** The store, opened already by the caller (the serve command, before loading this module); closed with Postern. */
  store?: Store;
  /** The first signing key being made (`ensureSigningKey`), awaited before the keys are loaded. */
  signingKey?: Promise<void>;
}

export async function startPostern(config: Config, opts: StartOptions): Promise<Postern> {
  const { log } = opts;
  const store = opts.store ?? (await openStore(config, { onCommitError: (err) => log.error({ err }, 'store commit failed') }));
  const cleanup: Array<() => Promise<void> | void> = [() => store.close()];
  try {
    const observability = await startObservability(config, store, log, { version: VERSION, spanExporter: opts.spanExporter });
    cleanup.push(() => observability.close());
    const secret = loadSecret(config);
    const sealer = new Sealer(secret);
    const credentials = new UpstreamCredentials(store, sealer);
    // Users' Nextcloud links; their app passwords are deleted at identity.nextcloud.url when replaced or removed.
    const nextcloud = config.identity.nextcloud;
    const tickets = linkTicketsFor(config, secret, store);
    const links = new NextcloudLinks(credentials, nextcloud && { url: nextcloud.url, timeoutMs: nextcloud.timeoutMs, log, tickets });
    // The public base is known once the listener has its port; the toolsets ask for it per call.
    let publicBase = config.server.issuer?.replace(/\/$/, '') ?? '';
    // The users' links to auth: oauth backends need the public URL, known once listening.
    let remoteAccounts: RemoteAccounts | undefined;
    const remoteAccess: RemoteAccess = {
      accessToken: (backend, subject) => linked().accessToken(backend, subject),
      refused: (backend, subject) => linked().refused(backend, subject),
      stepUp: (backend, subject, scope) => linked().stepUp(backend, subject, scope),
      // Not secret: which protocol era an auth: oauth backend on `protocol: auto` was found to speak.
      era: (backend) => store.getSetting(`remote-era:${backend}`),
      rememberEra: (backend, era) => store.putSetting(`remote-era:${backend}`, era),
    };
    const linked = () => {
      if (!remoteAccounts) throw new Error('per-user OAuth backends are not ready yet');
      return remoteAccounts;
    };
    const registry = new BackendRegistry(config.mcpServers ?? {}, {
      version: VERSION,
      log,
      credentials: (subject, source) => credentials.get(subject, source),
      toolsets: builtInToolsets({ links, publicBase: () => publicBase }),
      remoteAccess,
    });
    cleanup.push(() => registry.stop());
    registry.start();
    // The backends connect while the rest is built (a stdio backend starts on the other core);
    // requests are served once both are done, and answered 503 "starting" until then.
    const backendsReady = registry.waitReady(opts.backendWaitMs ?? 10_000);

    const { server, port } = await listen(config.server.host, config.server.port, config.server.timeouts);
    cleanup.push(() => closeServer(server));
    // The parts behind the listener load now, while the backends' handshakes wait on the backends
    // (an HTTP server's answers, a stdio server's own start-up): the HTTP app, the MCP endpoint
    // with the SDK's server, the authorization server with oidc-provider and koa, about a third
    // of the code loaded at start.
    const parts = await import('./postern-parts.js');
    const { serveGateway, urlHost, mcpEndpoint } = parts;
    const issuer = config.server.issuer?.replace(/\/$/, '') ?? `http://${urlHost(config.server.host)}:${port}`;
    const mcpUrl = `${issuer}/mcp`;
    publicBase = issuer;

    const remoteBackends = oauthBackends(config);
    if (remoteBackends.length && ownsAuthorization(config)) {
      remoteAccounts = new parts.RemoteAccounts(remoteBackends, {
        issuer,
        credentials,
        leases: new Leases(store),
        settings: store,
        sealer,
        log,
        onLinkChanged: (subject) => registry.forgetCaller(subject),
        onLinked: (subject, backend) => registry.linked(backend, subject),
        ca: opts.documentCa,
      });
    }
    const audit = new Audit(store, log);
    const auth:
      | (GatewayAuth & {
          initialPassword?: string;
          stop?: () => void;
          findClient?: (id: string) => Promise<Record<string, unknown> | undefined>;
          adminBase?: OwnAuthorizationServer['adminBase'];
        })
      | undefined = !config.auth.enabled
      ? undefined
      : config.auth.external
        ? {
            ...(await parts.externalGuard({ config, issuer, mcpUrl, store, sealer, log })),
            interactions:
              nextcloud && tickets
                ? parts.ticketedNextcloudPages({
                    connect: new parts.NextcloudConnect(links, nextcloud, { store, sealer }),
                    csrf: new parts.Csrf(deriveKey(secret, 'csrf')),
                    tickets,
                    secureCookies: issuer.startsWith('https:'),
                  })
                : undefined,
          }
        : await parts.ownAuthorizationServer({
            config,
            issuer,
            mcpUrl,
            store,
            secret,
            sealer,
            links,
            audit,
            log,
            documentCa: opts.documentCa,
            remoteAccounts,
            signingKey: opts.signingKey,
          });
    if (auth?.stop) cleanup.push(auth.stop);
    const guard = auth?.guard;

    const endpoint = mcpEndpoint({
      config,
      registry,
      info: { name: 'postern', version: VERSION },
      audit,
      log,
      findClient: auth?.findClient,
      toolCalls: observability.toolCalls(registry),
      insufficientScope: guard && ((needed, granted) => guard.insufficientScope(needed, granted)),
      // Replicas on one PostgreSQL store open each other's 2025-era sessions from these records.
      sessionRecords: store.kind === 'postgres' ? sessionRecordsIn(store) : undefined,
    });
    cleanup.push(() => endpoint.close());
    observability.attach({ registry, guard, audit, sessions: () => endpoint.sessionCount });
    // The admin console (own authorization server only): its pages go before the sign-in pages.
    // Its modules are loaded with the first request under /admin, not at start.
    if (auth?.adminBase && auth.interactions) {
      const adminBase = auth.adminBase;
      let admin: Promise<AdminHandler> | undefined;
      const pages = auth.interactions;
      auth.interactions = async (req, res, pathname) => {
        if (pathname === '/admin' || pathname.startsWith('/admin/')) {
          admin ??= import('./admin/console.js').then((m) =>
            m.createAdminConsole({ config, store, audit, registry, policy: new ToolPolicy(config.policy.rules), ...adminBase }),
          );
          if (await (await admin)(req, res, pathname)) return true;
        }
        return pages(req, res, pathname);
      };
    }
    await backendsReady;
    serveGateway(server, { config, issuer, mcpUrl, version: VERSION, endpoint, registry, store, log, auth, observe: (handler) => observability.http(handler) });
    cleanup.push(sweepPeriodically(store, (err) => log.warn({ err }, 'sweep failed')));

    log.info({ issuer, mcpUrl, auth: config.auth.enabled, store: store.kind, backends: registry.status() }, 'postern started');
    return {
      issuer,
      mcpUrl,
      port,
      store,
      registry,
      metricsPort: observability.metricsPort,
      guard,
      initialPassword: auth?.initialPassword,
      links,
      close: () => runCleanup(cleanup),
    };
  } catch (err) {
    await runCleanup(cleanup);
    throw err;
  }
}

/**
 * Link tickets, in resource-server-only mode behind the Nextcloud that identity.nextcloud names
 * (same origin as auth.external.issuer): there the caller's subject is a Nextcloud user, who can
 * link only themselves. Behind any other authorization server there is no way to link.
 */
function linkTicketsFor(config: Config, secret: string, store: OidcArtifacts): LinkTickets | undefined {
  const ext = config.auth.enabled ? config.auth.external : undefined;
  const nextcloud = config.identity.nextcloud;
  if (!ext || !nextcloud || new URL(ext.issuer).origin !== new URL(nextcloud.url).origin) return undefined;
  return new LinkTickets(deriveKey(secret, 'nextcloud-link'), store);
}

/** The `auth: oauth` backends, as the users' links need them. */
function oauthBackends(config: Config) {
  return Object.entries(config.mcpServers ?? {}).flatMap(([name, entry]) =>
    isOAuthBackend(entry) && !entry.disabled
      ? [
          {
            name,
            url: entry.url,
            scopes: entry.scopes,
            clientId: entry.clientId,
            clientSecret: entry.clientSecret,
            allowPrivateAddresses: entry.allowPrivateAddresses,
          },
        ]
      : [],
  );
}

/** 2025-era session records kept as the store's "McpSession" artifacts, expiring with the idle time. */
function sessionRecordsIn(store: Store): SessionRecords {
  const MODEL = 'McpSession';
  return {
    save: (id, record, ttl) => store.oidcUpsert(MODEL, id, { ...record }, nowSeconds() + ttl),
    find: async (id) => (await store.oidcFind(MODEL, id))?.payload as SessionRecord | undefined,
    remove: (id) => store.oidcDestroy(MODEL, id),
  };
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
