// Starts a real Postern in-process for a test: port 0, a temp data dir, silent logs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { demoBackends, loadConfig } from '../../src/config/load.js';
import { configSchema, type Config } from '../../src/config/schema.js';
import { startPostern, type Postern, type StartOptions } from '../../src/postern.js';

export interface TestPostern extends Postern {
  config: Config;
  dataDir: string;
  password: string;
  /** Stops and starts again on the same port and data dir. */
  restart(): Promise<TestPostern>;
  /** Stops and deletes the data dir. */
  destroy(): Promise<void>;
}

export function tempDir(prefix = 'postern-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Collects Postern's log lines at warn level and above, for tests that assert what was (not) logged. */
export class LogCapture {
  readonly lines: Array<{ level: number; msg?: string; [key: string]: unknown }> = [];
  write(line: string): void {
    this.lines.push(JSON.parse(line));
  }
  /** Lines at error level or above (pino: error = 50, fatal = 60). */
  get errors() {
    return this.lines.filter((l) => l.level >= 50);
  }
}

/** Start options for a test: Postern's own (e.g. the test CA for metadata documents) and a log capture. */
export type TestStartOptions = Omit<StartOptions, 'log'> & { capture?: LogCapture };

export async function startTestPostern(overrides: Record<string, unknown> = {}, password?: string, start: TestStartOptions = {}): Promise<TestPostern> {
  const dataDir = (overrides.dataDir as string) ?? tempDir();
  const config = configSchema.parse({
    server: { port: 0 },
    log: { level: process.env.TEST_LOG_LEVEL ?? 'silent' },
    ...overrides,
    dataDir,
  });
  config.mcpServers ??= demoBackends();
  // Every test registers and asks for authorization from 127.0.0.1: the per-address limits on
  // registrations and authorization requests apply only where a test sets them.
  const auth = overrides.auth as { registration?: { rateLimit?: unknown }; authorizationRateLimit?: unknown } | undefined;
  if (!auth?.registration?.rateLimit) config.auth.registration.rateLimit.perAddress = 1_000_000;
  if (!auth?.authorizationRateLimit) config.auth.authorizationRateLimit.perAddress = 1_000_000;
  return boot(config, password, start);
}

/**
 * Starts a Postern from a config file, loaded the way `postern serve` loads it (with the checks and
 * defaults that span several keys, e.g. a Nextcloud toolset's url from identity.nextcloud.url).
 */
export function startPosternFromFile(file: string, env: NodeJS.ProcessEnv = {}): Promise<TestPostern> {
  return boot(loadConfig({ file, env: { POSTERN_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', ...env } }), undefined, {});
}

async function boot(config: Config, knownPassword: string | undefined, start: TestStartOptions): Promise<TestPostern> {
  const { capture, ...options } = start;
  const log = capture ? pino({ level: 'warn' }, capture) : pino({ level: config.log.level });
  const postern = await startPostern(config, { ...options, log });
  const password = postern.initialPassword ?? knownPassword ?? '';
  const self: TestPostern = {
    ...postern,
    config,
    dataDir: config.dataDir,
    password,
    async restart() {
      await postern.close();
      return boot({ ...config, server: { ...config.server, port: postern.port } }, password, start);
    },
    async destroy() {
      await postern.close();
      rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
  return self;
}
