// The connection of an `auth: oauth` backend: one streamable-HTTP link to the remote server per
// calling user (per-caller-transport.ts), each sending that user's own access token and nothing
// else (the configured headers, never the caller's token for Postern). Postern itself, connecting
// and listing without a user, talks to a stand-in server with an empty list: what a user sees of
// the backend is listed per user (registry.ts, callerTools). A 401 from the remote ends the
// user's link and asks them to reconnect; a 403 insufficient_scope asks them to grant more.
// Toward the remote, each user's link is a 2025-era session (`protocol` auto or legacy: Postern
// cannot ask a server it has no token for which era it speaks, and the SDK serves the 2026-07-28
// era in process only behind its HTTP entry); clients of either era call through it as usual.
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { InMemoryTransport, SUPPORTED_PROTOCOL_VERSIONS, Server } from '@modelcontextprotocol/server';
import { tracedFetch } from '../../../telemetry/tracing.js';
import { PerCallerTransport } from '../../per-caller-transport.js';
import type { RemoteAccess } from './remote-access.js';
import type { OAuthBackendConfig } from './schema.js';

const MODERN = '2026-07-28';

/**
 * The server Postern connects and lists through: capabilities only, nothing listed, 2025 era only
 * (each user's link then opens a 2025-era session of its own with the client's initialize).
 */
function standIn(): Server {
  const versions = SUPPORTED_PROTOCOL_VERSIONS.filter((v) => v < MODERN);
  const server = new Server({ name: 'postern-per-user-standin', version: '1' }, { capabilities: { tools: {} }, supportedProtocolVersions: versions });
  server.setRequestHandler('tools/list', () => ({ tools: [] }));
  return server;
}

/** The `scope` of a 403 insufficient_scope challenge, or undefined when the 403 is something else. */
function insufficientScope(response: Response): { scope?: string } | undefined {
  const challenge = response.headers.get('www-authenticate') ?? '';
  if (!/error="?insufficient_scope/i.test(challenge)) return undefined;
  return { scope: /scope="([^"]*)"/i.exec(challenge)?.[1] };
}

export function perUserTransport(name: string, config: OAuthBackendConfig, access: RemoteAccess): PerCallerTransport {
  const url = new URL(config.url);
  const transport: PerCallerTransport = new PerCallerTransport(async (caller) => {
    if (!caller) {
      const [client, serverSide] = InMemoryTransport.createLinkedPair();
      const server = standIn();
      await server.connect(serverSide);
      return { transport: client, close: () => server.close() };
    }
    const subject = caller.subject;
    // Fails with LinkRequired before anything is sent when the user has no usable link.
    await access.accessToken(name, subject);
    const userFetch: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${await access.accessToken(name, subject)}`);
      const response = await fetch(input, { ...init, headers });
      if (response.status === 401) {
        void response.body?.cancel();
        transport.forget(subject);
        throw await access.refused(name, subject);
      }
      const scope = response.status === 403 ? insufficientScope(response) : undefined;
      if (scope) {
        void response.body?.cancel();
        throw await access.stepUp(name, subject, scope.scope);
      }
      return response;
    };
    const link = new StreamableHTTPClientTransport(url, { requestInit: { headers: config.headers }, fetch: tracedFetch(userFetch) });
    return { transport: link, close: () => link.close() };
  });
  return transport;
}
