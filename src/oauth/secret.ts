// The instance secret (cookie signing, CSRF tokens, later encryption at rest): auth.secret when
// configured, otherwise generated once into <dataDir>/secret (mode 0600), outside the database.
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';

export function loadSecret(config: Config): string {
  if (config.auth.secret) return config.auth.secret;
  if (config.store.driver === 'memory') return randomBytes(32).toString('base64url');
  const file = path.join(config.dataDir, 'secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
}

/** A key for one purpose, derived from the secret so purposes never share a key. */
export function deriveKey(secret: string, purpose: string): string {
  return createHmac('sha256', secret).update(purpose).digest('base64url');
}
