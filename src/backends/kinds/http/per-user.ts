// The connection of an `auth: oauth` backend: one streamable-HTTP link to the remote server per
// calling user (per-caller-transport.ts), each sending that user's own access token and nothing
// else (the configured headers, never the caller's token for Postern). Postern itself, connecting
// and listing without a user, talks to a stand-in server with an empty list: what a user sees of
// the backend is listed per user (registry.ts, callerTools). A 401 from the remote ends the
// user's link and asks them to reconnect; a 403 insufficient_scope asks them to grant more.
// The era toward the remote is the entry's `protocol`, or with `auto` the era last found with a
// user's token (era-detection.ts; 2025 until then): with 2025 each user's link is a 2025-era
// session; with 2026-07-28 the stand-in speaks that era (served in process by the SDK's HTTP
// entry, the only place it answers server/discover), so Postern's connection negotiates it, and
// each user's link sends stateless 2026-07-28 requests. Clients of either era call through it.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createMcpHandler, InMemoryTransport, SUPPORTED_PROTOCOL_VERSIONS, Server } from '@modelcontextprotocol/server';
import { tracedFetch } from '../../../telemetry/tracing.js';
import { type CallerLink, PerCallerTransport } from '../../per-caller-transport.js';
import type { RemoteAccess } from './remote-access.js';
import type { OAuthBackendConfig } from './schema.js';

const MODERN = '2026-07-28';

/** The server Postern connects and lists through: capabilities only, nothing listed, in `versions`. */
function standIn(versions: string[]): Server {
  const server = new Server({ name: 'postern-per-user-standin', version: '1' }, { capabilities: { tools: {} }, supportedProtocolVersions: versions });
  server.setRequestHandler('tools/list', () => ({ tools: [] }));
  return server;
}

/** The stand-in for the 2025 era, on an in-memory pair (each user's link replays the client's initialize). */
async function legacyStandIn(): Promise<CallerLink> {
  const [client, serverSide] = InMemoryTransport.createLinkedPair();
  const server = standIn(SUPPORTED_PROTOCOL_VERSIONS.filter((v) => v < MODERN));
  await server.connect(serverSide);
  return { transport: client, close: () => server.close() };
}

/**
 * The stand-in for the 2026-07-28 era: the SDK's HTTP entry called in process (no socket), which
 * answers server/discover and serves each stateless request with a fresh stand-in server.
 */
function modernStandIn(url: URL): CallerLink {
  const handler = createMcpHandler(() => standIn([MODERN]), { legacy: 'reject' });
  const inProcess: typeof fetch = async (input, init) => handler.fetch(new Request(input, init));
  const transport = new StreamableHTTPClientTransport(url, { fetch: inProcess });
  return {
    transport,
    close: async () => {
      await transport.close();
      await handler.close();
    },
  };
}

/** The `scope` of a 403 insufficient_scope challenge, or undefined when the 403 is something else. */
function insufficientScope(response: Response): { scope?: string } | undefined {
  const challenge = response.headers.get('www-authenticate') ?? '';
  if (!/error="?insufficient_scope/i.test(challenge)) return undefined;
  return { scope: /scope="([^"]*)"/i.exec(challenge)?.[1] };
}

/**
 * A transport to the remote as `subject`: each request with their current token; a 401 ends their
 * link (`refused` is told first) and a 403 insufficient_scope asks them to grant more.
 */
function userLink(name: string, config: OAuthBackendConfig, access: RemoteAccess, subject: string, refused: () => void): StreamableHTTPClientTransport {
  const userFetch: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${await access.accessToken(name, subject)}`);
    const response = await fetch(input, { ...init, headers });
    if (response.status === 401) {
      void response.body?.cancel();
      refused();
      throw await access.refused(name, subject);
    }
    const scope = response.status === 403 ? insufficientScope(response) : undefined;
    if (scope) {
      void response.body?.cancel();
      throw await access.stepUp(name, subject, scope.scope);
    }
    return response;
  };
  return new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers: config.headers }, fetch: tracedFetch(userFetch) });
}

/**
 * The era the remote speaks, asked with `subject`'s token the way any HTTP backend on `auto` is
 * asked: the SDK client's negotiation (server/discover, else initialize), then closed again.
 */
export async function remoteEra(name: string, config: OAuthBackendConfig, access: RemoteAccess, subject: string): Promise<string> {
  const client = new Client({ name: 'postern', version: '1' }, { versionNegotiation: { mode: 'auto' } });
  try {
    await client.connect(
      userLink(name, config, access, subject, () => {}),
      { timeout: config.timeoutMs },
    );
    const version = client.getNegotiatedProtocolVersion();
    if (!version) throw new Error('the server negotiated no protocol version');
    return version;
  } finally {
    await client.close().catch(() => {});
  }
}

export function perUserTransport(name: string, config: OAuthBackendConfig, access: RemoteAccess): PerCallerTransport {
  const url = new URL(config.url);
  const transport: PerCallerTransport = new PerCallerTransport(async (caller) => {
    if (!caller) {
      const era = config.protocol === 'auto' ? await access.era(name) : config.protocol;
      return era === MODERN ? modernStandIn(url) : legacyStandIn();
    }
    const subject = caller.subject;
    // Fails with LinkRequired before anything is sent when the user has no usable link.
    await access.accessToken(name, subject);
    const link = userLink(name, config, access, subject, () => transport.forget(subject));
    return { transport: link, close: () => link.close() };
  });
  return transport;
}
