// `postern serve`: runs the gateway until SIGINT/SIGTERM, printing the first user's password once.
// The store is opened, and on a store without a signing key (Postern's own authorization server)
// the first RSA key started on the thread pool, before the server's modules load (postern.js and
// all it imports): the key is made while they compile, instead of after them.
import { ownsAuthorization, type Config } from '../config/schema.js';
import { createLogger } from '../log.js';
import { ensureSigningKey } from '../oauth/keys.js';
import { openStore } from '../store/index.js';

export async function runServe(config: Config): Promise<number> {
  const log = createLogger(config.log.level);
  const store = await openStore(config, { onCommitError: (err) => log.error({ err }, 'store commit failed') });
  const signingKey = ownsAuthorization(config) ? ensureSigningKey(store) : undefined;
  // Awaited, and its error thrown, where the authorization server loads its keys.
  signingKey?.catch(() => {});
  let server: typeof import('../postern.js');
  try {
    server = await import('../postern.js');
  } catch (err) {
    await store.close();
    throw err;
  }
  const postern = await server.startPostern(config, { log, store, signingKey });
  const lines = [`Postern is listening. MCP URL: ${postern.mcpUrl}`];
  if (postern.initialPassword) {
    lines.push(
      `Created the first user "${config.identity.local.initialUser}" with password: ${postern.initialPassword}`,
      `It is shown only this once; change it with \`postern user passwd ${config.identity.local.initialUser}\`.`,
    );
  }
  if (!config.auth.enabled) lines.push('WARNING: auth is disabled; /mcp answers anyone who can reach this loopback port.');
  process.stderr.write(`\n${lines.map((l) => `  ${l}`).join('\n')}\n\n`);

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await postern.close();
  return 0;
}
