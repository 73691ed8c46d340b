// The streamable-HTTP kind: the SDK client's transport (sending the caller's own token when
// forwardUserToken is set), and on a 2025-era session the lean path for forwarded requests
// (lean-call.ts); with `auth: oauth`, one link per user with that user's own token (per-user.ts).
// A backend that stops answering shows up only as failed requests.
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { SESSION_ERA } from '../../../protocol/eras.js';
import { userTokenFetch } from '../../call-context.js';
import { tracedFetch } from '../../../telemetry/tracing.js';
import type { BackendKind } from '../kind.js';
import { HttpCaller, type SessionView } from './lean-call.js';
import { perUserTransport } from './per-user.js';
import type { RemoteAccess } from './remote-access.js';
import { isOAuthBackend, type HttpBackendConfig } from './schema.js';

export const httpKind = (access: RemoteAccess): BackendKind<HttpBackendConfig> => ({
  name: 'http',
  owns: (config): config is HttpBackendConfig => 'url' in config,
  failsOnRequest: true,
  perUser: isOAuthBackend,
  connect(name, config) {
    if (isOAuthBackend(config)) return perUserTransport(name, config, access);
    return new StreamableHTTPClientTransport(new URL(config.url), {
      requestInit: { headers: config.headers },
      fetch: tracedFetch(config.forwardUserToken ? userTokenFetch() : undefined),
    });
  },
  fastPath(config, transport, client) {
    if (!(transport instanceof StreamableHTTPClientTransport)) return undefined;
    if (!SESSION_ERA.has(client.getNegotiatedProtocolVersion() ?? '')) return undefined;
    const session: SessionView = {
      get sessionId() {
        return transport.sessionId;
      },
      get protocolVersion() {
        return transport.protocolVersion;
      },
      deliver: (message) => transport.onmessage?.(message),
    };
    const caller = new HttpCaller(new URL(config.url), config.headers ?? {}, !!config.forwardUserToken);
    return { request: (method, params, opts) => caller.request(method, params, session, opts), close: () => void caller.close() };
  },
});
