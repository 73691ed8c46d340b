// The built-in kind: a toolset (toolsets.ts) served from inside Postern's process, one server per
// calling user (per-caller-transport.ts), which knows the user and their upstream credentials.
import { InMemoryTransport } from '@modelcontextprotocol/client';
import { PerCallerTransport } from '../../per-caller-transport.js';
import type { BackendKind } from '../kind.js';
import type { BuiltInBackendConfig } from './schema.js';
import type { BuiltInToolset, CredentialLookup } from './toolset.js';

export function builtInKind(toolsets: readonly BuiltInToolset[], credentials: CredentialLookup): BackendKind<BuiltInBackendConfig> {
  const byName = new Map(toolsets.map((t) => [t.name, t]));
  return {
    name: 'built-in',
    owns: (config): config is BuiltInBackendConfig => config.type === 'built-in',
    connect(name, config, log) {
      const toolset = byName.get(config.toolset);
      if (!toolset) throw new Error(`no built-in toolset "${config.toolset}"`);
      const settings = toolset.settings.parse(config.settings);
      return new PerCallerTransport(async (caller) => {
        const server = await toolset.createServer({
          settings,
          caller,
          credential: async (source) => (caller ? credentials(caller.subject, source) : undefined),
          log: log.child({ backend: name }),
        });
        const [transport, serverSide] = InMemoryTransport.createLinkedPair();
        await server.connect(serverSide);
        return { transport, close: () => server.close() };
      });
    },
  };
}
