// `postern serve`: runs the gateway until SIGINT/SIGTERM, printing the first user's password once.
import type { Config } from '../config/schema.js';
import { createLogger } from '../log.js';
import { startPostern } from '../postern.js';

export async function runServe(config: Config): Promise<number> {
  const log = createLogger(config.log.level);
  const postern = await startPostern(config, { log });
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
