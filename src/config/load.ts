// Reads the config file (YAML or JSON), applies environment overrides, validates the result and
// checks the rules that span several keys (bind address vs issuer). Every failure is a
// ConfigError that names the key and says how to fix it.
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { stdioBackendSchema } from '../backends/kinds/stdio/schema.js';
import { applyEnv } from './env.js';
import { ConfigError } from './errors.js';
import { parseCidr } from './cidr.js';
import { isLoopbackHost } from '../net/loopback.js';
import { observabilityChecks } from '../telemetry/schema.js';
import { toolsetChecks } from './toolset-checks.js';

export { ConfigError };

export interface LoadOptions {
  /** Path of the config file; none means defaults plus environment. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Allow a non-loopback bind without an https issuer. */
  insecure?: boolean;
}

const hints: Record<string, string> = {
  invalid_type: 'check the value type in the example config (README.md)',
  unrecognized_keys: 'remove it or check its spelling against README.md',
  invalid_union: 'see README.md for the accepted shapes',
};

/** The shape a value of a union matched, by its identifying key: its own issues then say what is wrong. */
function matchedBranch(issue: z.core.$ZodIssueInvalidUnion): z.core.$ZodIssue[] | undefined {
  const identifying = new Set(['command', 'url']);
  const matched = issue.errors.filter(
    (branch) => !branch.some((i) => (i.code === 'unrecognized_keys' && i.path.length === 0) || (i.path.length === 1 && identifying.has(String(i.path[0])))),
  );
  return matched.length === 1 ? matched[0] : undefined;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const branch = issue.code === 'invalid_union' ? matchedBranch(issue) : undefined;
  if (branch?.length) return branch.map((i) => describeIssue({ ...i, path: [...issue.path, ...i.path] })).join('\n');
  const key = issue.path.map(String).join('.') || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length ? `${key}.` : '';
    return `${issue.keys.map((k) => where + k).join(', ')}: unknown key; ${hints.unrecognized_keys}`;
  }
  if (issue.code === 'invalid_key') {
    return `${key}: invalid name: ${issue.issues.map((i) => i.message).join('; ')}`;
  }
  const hint = hints[issue.code];
  return `${key}: ${issue.message}${hint && !issue.message.includes(hint) ? `; ${hint}` : ''}`;
}

const resolver = createRequire(import.meta.url);

function readFile(file: string): unknown {
  if (!existsSync(file)) throw new ConfigError([`config file ${file}: not found; create it or pass --config with the right path`]);
  const text = readFileSync(file, 'utf8');
  try {
    // The YAML parser is loaded only for a YAML file (a JSON configuration or none needs none of it).
    return file.endsWith('.json') ? JSON.parse(text) : ((resolver('yaml') as typeof import('yaml')).parse(text) ?? {});
  } catch (err) {
    throw new ConfigError([`config file ${file}: cannot be parsed (${(err as Error).message.split('\n')[0]}); fix the syntax`]);
  }
}

/** The demo backend used when the config declares no mcpServers: the reference "everything" server. */
export function demoBackends(): NonNullable<Config['mcpServers']> {
  const entry = resolver.resolve('@modelcontextprotocol/server-everything/dist/index.js');
  return {
    everything: stdioBackendSchema.parse({ command: process.execPath, args: [entry, 'stdio'] }),
  };
}

/** Checks that need several keys at once. */
function crossChecks(config: Config, insecure: boolean): string[] {
  const problems: string[] = [];
  const { host, issuer } = config.server;
  if (!isLoopbackHost(host)) {
    if (!config.auth.enabled) {
      problems.push(
        `server.host: "${host}" is not a loopback address and auth.enabled is false; ` +
          'an unauthenticated gateway only binds to 127.0.0.1/::1 — set auth.enabled: true or server.host: 127.0.0.1',
      );
    } else if (!issuer?.startsWith('https://') && !insecure) {
      problems.push(
        `server.host: "${host}" is not a loopback address but server.issuer is ${issuer ? `"${issuer}"` : 'not set'}; ` +
          'set server.issuer to the public https URL (e.g. https://mcp.example.com) or start with --insecure',
      );
    }
  }
  const th = config.identity.trustedHeader;
  if (th.enabled && th.trustedSourceCidrs.length === 0) {
    problems.push(
      'identity.trustedHeader.trustedSourceCidrs: empty; list the addresses of the reverse proxy that sets ' +
        `${th.userHeader}, e.g. ["127.0.0.1/32"] — without it anyone could claim to be anyone`,
    );
  }
  th.trustedSourceCidrs.forEach((cidr, i) => {
    if (!parseCidr(cidr)) problems.push(`identity.trustedHeader.trustedSourceCidrs.${i}: "${cidr}" is not a CIDR; use e.g. "10.0.0.0/8" or "::1/128"`);
  });
  problems.push(...externalChecks(config), ...prefixChecks(config), ...storeChecks(config), ...oauthBackendChecks(config), ...observabilityChecks(config));
  if (issuer && new URL(issuer).pathname !== '/' && issuer.endsWith('/')) {
    problems.push(`server.issuer: "${issuer}" ends with "/"; remove the trailing slash`);
  }
  return problems;
}

/** Per-user OAuth backends: their address allowances, and the account page they need. */
function oauthBackendChecks(config: Config): string[] {
  const problems: string[] = [];
  for (const [name, backend] of Object.entries(config.mcpServers ?? {})) {
    if (!('auth' in backend) || backend.auth !== 'oauth' || backend.disabled) continue;
    if (config.auth.external || !config.auth.enabled) {
      problems.push(
        `mcpServers.${name}.auth: "oauth" needs Postern's own authorization server (users link their accounts on /account); ` +
          'remove auth.external and set auth.enabled: true, or remove auth: oauth',
      );
    }
    const allowed = backend.allowPrivateAddresses;
    if (Array.isArray(allowed)) {
      allowed.forEach((cidr, i) => {
        if (!parseCidr(cidr)) problems.push(`mcpServers.${name}.allowPrivateAddresses.${i}: "${cidr}" is not a CIDR; use e.g. "10.0.0.0/8" or "::1/128"`);
      });
    }
  }
  return problems;
}

/** The PostgreSQL driver needs a URL it can parse. */
function storeChecks(config: Config): string[] {
  const { driver, url } = config.store;
  if (driver !== 'postgres') return [];
  if (!url) return ['store.url: not set but store.driver is postgres; set it (or POSTERN_DATABASE_URL) to e.g. postgres://postern@db.example.com/postern'];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return ['store.url: not a URL; use e.g. postgres://postern@db.example.com/postern'];
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    return [`store.url: "${parsed.protocol}" is not a PostgreSQL URL; it starts with postgres:// or postgresql://`];
  }
  return [];
}

/** Two backends with one prefix would make their names ambiguous. */
function prefixChecks(config: Config): string[] {
  const owners = new Map<string, string>();
  const problems: string[] = [];
  for (const [name, backend] of Object.entries(config.mcpServers ?? {})) {
    if (backend.disabled || backend.prefix === false) continue;
    const label = backend.prefix === true ? name : backend.prefix;
    const other = owners.get(label);
    if (other !== undefined) {
      problems.push(`mcpServers.${name}.prefix: "${label}" is already the prefix of backend "${other}"; give one of them another prefix`);
    } else owners.set(label, name);
  }
  return problems;
}

/** Resource-server-only mode and the backends that may receive the caller's own token. */
function externalChecks(config: Config): string[] {
  const problems: string[] = [];
  const external = config.auth.external;
  if (external && !config.auth.enabled) {
    problems.push('auth.external: set, but auth.enabled is false; remove auth.external or set auth.enabled: true');
  }
  if (external?.clientSecret && !external.clientId) {
    problems.push('auth.external.clientSecret: given without auth.external.clientId; add the client ID it belongs to');
  }
  if (external?.scopes && external.enforceScopes && !external.scopes.some((s) => s.startsWith('mcp:'))) {
    problems.push(
      'auth.external.scopes: lists no mcp:* scope, so no token could carry one; add "mcp:tools" (and its siblings) ' +
        'to the list and the authorization server, or set auth.external.enforceScopes: false',
    );
  }
  if (external?.verify === 'userinfo' && external.audienceCheck !== 'none') {
    problems.push(
      'auth.external.verify: "userinfo" cannot tell which service a token was issued for; verify by introspection ' +
        '(verify: auto) or accept that a token issued for another service is taken here with auth.external.audienceCheck: none',
    );
  }
  if (external?.audienceCheck === 'introspection' && (external.verify === 'jwt' || external.verify === 'userinfo')) {
    problems.push(`auth.external.audienceCheck: "introspection" needs introspection, but verify is "${external.verify}"; set auth.external.verify: auto`);
  }
  for (const [name, backend] of Object.entries(config.mcpServers ?? {})) {
    if (!('url' in backend) || !backend.forwardUserToken) continue;
    const key = `mcpServers.${name}.forwardUserToken`;
    if (!external) {
      problems.push(`${key}: needs auth.external; users' tokens are only forwarded to the service that issued them`);
    } else if (new URL(backend.url).origin !== new URL(external.issuer).origin) {
      problems.push(
        `${key}: ${backend.url} is not the same service as the authorization server ${external.issuer}; ` +
          "a user's token is only sent back to the service that issued it — remove forwardUserToken or point url at that service",
      );
    }
  }
  return problems;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.POSTERN_CONFIG;
  const raw = file ? readFile(file) : {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([`config file ${file}: the top level must be a mapping of keys (server, auth, mcpServers, …)`]);
  }
  const merged = applyEnv(raw as Record<string, unknown>, env);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.flatMap((issue) => describeIssue(issue).split('\n')));
  const config = parsed.data;
  if (file && !path.isAbsolute(config.dataDir)) config.dataDir = path.resolve(path.dirname(file), config.dataDir);
  const problems = [...crossChecks(config, opts.insecure ?? false), ...toolsetChecks(config, env)];
  if (problems.length) throw new ConfigError(problems);
  config.mcpServers ??= demoBackends();
  return config;
}
