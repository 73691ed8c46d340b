// `protocol: auto` for an `auth: oauth` backend: the remote answers nobody without a token, so
// its era is asked when a user links, with that user's fresh token (per-user.ts, remoteEra), and
// remembered for the backend in the store's settings (through RemoteAccess). When the era found is
// not the one the backend's stand-in speaks, the backend's own connection is restarted once, so
// that it and every user's link speak the era found; calls in flight on the backend then fail
// with "backend unavailable", as with any restart (only when the era changes: in practice the
// first link to a 2026-07-28 server, before which no user had a link to call through).
import type { Logger } from 'pino';
import { remoteEra } from './per-user.js';
import type { RemoteAccess } from './remote-access.js';
import type { OAuthBackendConfig } from './schema.js';

const MODERN = '2026-07-28';

/** Asks the remote which era it speaks as `subject`, remembers it, and calls `restart` when the stand-in's era must change. */
export async function detectEra(
  name: string,
  config: OAuthBackendConfig,
  access: RemoteAccess,
  subject: string,
  restart: () => Promise<void>,
  log: Logger,
): Promise<void> {
  if (config.protocol !== 'auto') return;
  const before = await access.era(name);
  const found = await remoteEra(name, config, access, subject);
  if (found === before) return;
  await access.rememberEra(name, found);
  log.info({ backend: name, protocol: found }, 'per-user backend protocol era found');
  if ((found === MODERN) !== (before === MODERN)) await restart();
}
