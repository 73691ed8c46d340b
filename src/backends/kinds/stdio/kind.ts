// The stdio kind: the backend is a child process speaking MCP on its stdin/stdout; its stderr
// goes to the debug log.
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';
import type { BackendKind } from '../kind.js';
import type { StdioBackendConfig } from './schema.js';

export const stdioKind: BackendKind<StdioBackendConfig> = {
  name: 'stdio',
  // Its messages arrive on the one pipe, outside any call; relaying finds their call otherwise.
  readsCallContext: false,
  owns: (config): config is StdioBackendConfig => 'command' in config,
  connect(name, config, log) {
    const transport = new StdioClientTransport({
      command: config.command,
      args: config.args,
      env: { ...getDefaultEnvironment(), ...config.env },
      cwd: config.cwd,
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim()) log.debug({ backend: name, stderr: line }, 'backend stderr');
      }
    });
    return transport;
  },
};
