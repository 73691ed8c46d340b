// Environment overrides: POSTERN_* variables, plus the seed deployments' MCP_AUTH_* and
// MCP_TRUST_PROXY, mapped onto config keys. A malformed value is a ConfigError naming the variable.
import { ConfigError } from './errors.js';

type Kind = 'string' | 'boolean' | 'port';

/** variable → [config path, kind]. Later entries win, so POSTERN_* overrides the seed names. */
const variables: Array<[string, string[], Kind]> = [
  ['MCP_AUTH_ENABLED', ['auth', 'enabled'], 'boolean'],
  ['MCP_AUTH_SECRET', ['auth', 'secret'], 'string'],
  ['MCP_AUTH_ISSUER', ['server', 'issuer'], 'string'],
  ['MCP_TRUST_PROXY', ['server', 'trustProxy'], 'boolean'],
  ['POSTERN_HOST', ['server', 'host'], 'string'],
  ['POSTERN_PORT', ['server', 'port'], 'port'],
  ['POSTERN_ISSUER', ['server', 'issuer'], 'string'],
  ['POSTERN_TRUST_PROXY', ['server', 'trustProxy'], 'boolean'],
  ['POSTERN_AUTH_ENABLED', ['auth', 'enabled'], 'boolean'],
  ['POSTERN_SECRET', ['auth', 'secret'], 'string'],
  ['POSTERN_DATA_DIR', ['dataDir'], 'string'],
  ['POSTERN_STORE', ['store', 'driver'], 'string'],
  ['DATABASE_URL', ['store', 'url'], 'string'],
  ['POSTERN_DATABASE_URL', ['store', 'url'], 'string'],
  ['POSTERN_LOG_LEVEL', ['log', 'level'], 'string'],
  ['POSTERN_METRICS_LISTEN', ['metrics', 'listen'], 'string'],
  ['POSTERN_TRACING_ENABLED', ['tracing', 'enabled'], 'boolean'],
];

function convert(name: string, value: string, kind: Kind): unknown {
  if (kind === 'boolean') {
    const v = value.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    throw new ConfigError([`${name}: "${value}" is not a boolean; use true or false`]);
  }
  if (kind === 'port') {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      throw new ConfigError([`${name}: "${value}" is not a port; use a whole number from 0 to 65535`]);
    }
    return n;
  }
  return value;
}

/** Returns a copy of `raw` with every set variable written at its path. */
export function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(raw);
  for (const [name, keyPath, kind] of variables) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    let node = out;
    for (const key of keyPath.slice(0, -1)) {
      const next = node[key];
      if (next !== undefined && (typeof next !== 'object' || next === null || Array.isArray(next))) {
        throw new ConfigError([`${keyPath.slice(0, -1).join('.')}: must be a mapping for ${name} to apply`]);
      }
      node = (node[key] ??= {}) as Record<string, unknown>;
    }
    node[keyPath[keyPath.length - 1]] = convert(name, value, kind);
  }
  return out;
}
