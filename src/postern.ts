// The composition root: opens the store, starts the backends, listens, builds the authorization
// server (or, in resource-server-only mode, the link to an external one) with its guard, then the
// MCP endpoint, and serves them on one HTTP listener, observed as config `metrics`, `tracing` and
// `log.access` ask. Each part builds itself (its setup.ts).
import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import { Audit } from './audit/trail.js';
import { BackendRegistry } from './backends/registry.js';
import type { Config } from './config/schema.js';
import { serveGateway, urlHost, type GatewayAuth } from './edge/setup.js';
import { listen } from './edge/server.js';
import { externalGuard } from './external/setup.js';
import type { Guard } from './guard/guard.js';
import { UpstreamCredentials } from './identity/credentials.js';
import { Sealer } from './identity/sealed.js';
import { mcpEndpoint } from './mcp/setup.js';
import { startObservability } from './observability/index.js';
import { loadSecret } from './oauth/secret.js';
import { ownAuthorizationServer } from './oauth/setup.js';
import { openStore, sweepPeriodically } from './store/index.js';
import { nowSeconds, type Store } from './store/types.js';
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
}

export async function startPostern(config: Config, opts: StartOptions): Promise<Postern> {
  const { log } = opts;
  const store = await openStore(config, { onCommitError: (err) => log.error({ err }, 'store commit failed') });
  const cleanup: Array<() => Promise<void> | void> = [() => store.close()];
  try {
    const observability = await startObservability(config, store, log, { version: VERSION, spanExporter: opts.spanExporter });
    cleanup.push(() => observability.close());
    const secret = loadSecret(config);
    const sealer = new Sealer(secret);
    const credentials = new UpstreamCredentials(store, sealer);
    const registry = new BackendRegistry(config.mcpServers ?? {}, {
      version: VERSION,
      log,
      credentials: (subject, source) => credentials.get(subject, source),
    });
    cleanup.push(() => registry.stop());
    registry.start();
    await registry.waitReady(opts.backendWaitMs ?? 10_000);

    const { server, port } = await listen(config.server.host, config.server.port, config.server.timeouts);
    cleanup.push(() => closeServer(server));
    const issuer = config.server.issuer?.replace(/\/$/, '') ?? `http://${urlHost(config.server.host)}:${port}`;
    const mcpUrl = `${issuer}/mcp`;

    const audit = new Audit(store, log);
    const auth:
      | (GatewayAuth & { initialPassword?: string; stop?: () => void; findClient?: (id: string) => Promise<Record<string, unknown> | undefined> })
      | undefined = !config.auth.enabled
      ? undefined
      : config.auth.external
        ? await externalGuard({ config, issuer, mcpUrl, store, sealer, log })
        : await ownAuthorizationServer({ config, issuer, mcpUrl, store, secret, sealer, audit, log, documentCa: opts.documentCa });
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
      close: () => runCleanup(cleanup),
    };
  } catch (err) {
    await runCleanup(cleanup);
    throw err;
  }
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
