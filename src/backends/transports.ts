// Builds the MCP client transport for one configured backend: a stdio child process or a
// streamable-HTTP connection (which sends the caller's own token when forwardUserToken is set).
import { StreamableHTTPClientTransport, type Transport } from '@modelcontextprotocol/client';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';
import type { Logger } from 'pino';
import type { BackendConfig } from '../config/schema.js';
import { userTokenFetch } from './call-context.js';
import { tracedFetch } from '../observability/tracing.js';

export function isStdio(config: BackendConfig): config is Extract<BackendConfig, { command: string }> {
  return 'command' in config;
}

export function createTransport(name: string, config: BackendConfig, log: Logger): Transport {
  if (isStdio(config)) {
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
  }
  return new StreamableHTTPClientTransport(new URL(config.url), {
    requestInit: { headers: config.headers },
    fetch: tracedFetch(config.forwardUserToken ? userTokenFetch() : undefined),
  });
}
