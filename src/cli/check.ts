// `postern check`: validates the configuration (loading it already did) and prints a summary.
import type { Config } from '../config/schema.js';

export async function runCheck(config: Config): Promise<number> {
  const backends = Object.entries(config.mcpServers ?? {})
    .map(([name, b]) => `${name} (${'command' in b ? 'stdio' : 'http'}, protocol ${b.protocol}${b.disabled ? ', disabled' : ''})`)
    .join(', ');
  process.stdout.write(
    [
      'configuration OK',
      `  listen:   ${config.server.host}:${config.server.port}`,
      `  issuer:   ${config.server.issuer ?? '(derived from the listen address)'}`,
      `  auth:     ${!config.auth.enabled ? 'DISABLED' : config.auth.external ? `external authorization server ${config.auth.external.issuer} (verify: ${config.auth.external.verify}, audienceCheck: ${config.auth.external.audienceCheck})` : 'enabled'}`,
      `  store:    ${config.store.driver} (data in ${config.dataDir})`,
      `  backends: ${backends || 'none'}`,
    ].join('\n') + '\n',
  );
  return 0;
}
