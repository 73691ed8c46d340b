// The MCP utilities the gateway answers beside lists and calls: logging/setLevel (kept per
// session, applied to relayed log messages), completion/complete (routed to the backend that owns
// the prompt or resource template) and resource subscriptions (counted per URI at the backend;
// "updated" notifications reach the sessions that subscribed).
import { ProtocolError, ProtocolErrorCode, type Server } from '@modelcontextprotocol/server';
import type { BackendRegistry, Call } from '../backends/registry.js';
import type { LogLevel } from './downstream.js';

export interface UtilityDeps {
  registry: BackendRegistry;
  level: LogLevel;
  mayPrompt(name: string): boolean;
  mayResource(uri: string): boolean;
  forward<T>(ctx: unknown, run: (call: Call) => Promise<T>): Promise<T>;
  toProtocolError(err: unknown, uri?: string): never;
}

export function addUtilityHandlers(server: Server, deps: UtilityDeps): void {
  const { registry } = deps;

  server.setRequestHandler('logging/setLevel', (request) => {
    deps.level.set(request.params.level);
    return {};
  });

  server.setRequestHandler('completion/complete', async (request, ctx) => {
    const ref = request.params.ref;
    const allowed = ref.type === 'ref/prompt' ? deps.mayPrompt(ref.name) : deps.mayResource(ref.uri);
    if (!allowed) throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'completion for something this caller may not use');
    try {
      return await deps.forward(ctx, (call) => registry.complete(request.params, call));
    } catch (err) {
      deps.toProtocolError(err);
    }
  });

  const subscribed = new Set<string>();
  // Listening starts with the first subscription, so that per-request servers never register.
  let stopListening: (() => void) | undefined;
  const listen = () =>
    (stopListening ??= registry.onResourceUpdated((uri) => {
      if (subscribed.has(uri)) void server.sendResourceUpdated({ uri }).catch(() => {});
    }));
  server.setRequestHandler('resources/subscribe', async (request) => {
    const { uri } = request.params;
    if (!deps.mayResource(uri))
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `resource "${uri}" is not allowed for this caller by the gateway's policy`);
    if (subscribed.has(uri)) return {};
    try {
      await registry.subscribe(uri, true);
    } catch (err) {
      deps.toProtocolError(err, uri);
    }
    subscribed.add(uri);
    listen();
    return {};
  });
  server.setRequestHandler('resources/unsubscribe', async (request) => {
    const { uri } = request.params;
    if (subscribed.delete(uri)) await registry.subscribe(uri, false).catch(() => {});
    return {};
  });
  const previous = server.onclose;
  server.onclose = () => {
    stopListening?.();
    for (const uri of subscribed) void registry.subscribe(uri, false).catch(() => {});
    subscribed.clear();
    previous?.();
  };
}
