// `postern check`: validates the configuration (loading it already did), prints a summary, then
// starts the backends briefly and lists every tool and prompt name Postern publishes that differs
// from `<backend>__<name>`, and why (prefix, rename, characters, length, collision).
import { pino } from 'pino';
import type { Config } from '../config/schema.js';
import type { BackendRegistry, NameNote } from '../backends/registry.js';

/** How long check waits for the backends' first connection. */
const BACKEND_WAIT_MS = 10_000;

function why(note: NameNote, registry: BackendRegistry): string {
  return note.changes
    .map((change) => {
      if (change === 'prefix') {
        const prefix = registry.backends.get(note.backend)?.config.prefix;
        return prefix === false ? 'prefix: false' : `prefix "${String(prefix)}"`;
      }
      if (change === 'renamed') return 'renamed in the config';
      if (change === 'sanitised') return 'characters outside [a-zA-Z0-9_-] became "_"';
      if (change === 'shortened') return 'over 64 characters: shortened, with a hash of the full name';
      return `"${note.collidedWith}" would be listed under the same name and keeps it; a hash of this one's name is added`;
    })
    .join('; ');
}

/** Lines about the published names, once the backends have answered (or not). */
export async function nameReport(config: Config, waitMs = BACKEND_WAIT_MS): Promise<string[]> {
  const { BackendRegistry } = await import('../backends/registry.js');
  const registry = new BackendRegistry(config.mcpServers ?? {}, { version: 'check', log: pino({ level: 'silent' }) });
  registry.start();
  try {
    await registry.waitReady(waitMs);
    const lines: string[] = [];
    for (const b of registry.backends.values()) {
      if (b.state !== 'ready') lines.push(`  ${b.name}: not reached (${b.lastError ?? b.state}); its names are not known`);
      for (const n of registry.nameNotes.filter((note) => note.backend === b.name)) {
        lines.push(`  ${b.name}: ${n.kind} "${n.original}" is listed as "${n.published}" (${why(n, registry)})`);
      }
      const listed = new Set([...b.lists.tools, ...b.lists.prompts].map((t) => t.name));
      for (const original of Object.keys(b.config.rename)) {
        if (b.state === 'ready' && !listed.has(original)) lines.push(`  ${b.name}: rename "${original}": the backend lists no tool or prompt of that name`);
      }
    }
    return lines;
  } finally {
    await registry.stop();
  }
}

export async function runCheck(config: Config): Promise<number> {
  const backends = Object.entries(config.mcpServers ?? {})
    .map(([name, b]) => `${name} (${'command' in b ? 'stdio' : 'http'}, protocol ${b.protocol}${b.disabled ? ', disabled' : ''})`)
    .join(', ');
  const names = await nameReport(config);
  process.stdout.write(
    `${[
      'configuration OK',
      `  listen:   ${config.server.host}:${config.server.port}`,
      `  issuer:   ${config.server.issuer ?? '(derived from the listen address)'}`,
      `  auth:     ${!config.auth.enabled ? 'DISABLED' : config.auth.external ? `external authorization server ${config.auth.external.issuer} (verify: ${config.auth.external.verify}, audienceCheck: ${config.auth.external.audienceCheck})` : 'enabled'}`,
      `  store:    ${config.store.driver} (data in ${config.dataDir})`,
      `  backends: ${backends || 'none'}`,
      names.length ? 'published names that differ from <backend>__<name>:' : 'published names: every tool and prompt as <backend>__<name>',
      ...names,
    ].join('\n')}\n`,
  );
  return 0;
}
