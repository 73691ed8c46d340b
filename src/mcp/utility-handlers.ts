// The MCP utilities the gateway answers beside lists and calls: logging/setLevel (kept per
// session, applied to relayed log messages), completion/complete (routed to the backend that owns
// the prompt or resource template) and resource subscriptions (counted per URI at the backend;
// "updated" notifications reach the sessions that subscribed). The handlers are shared by every
// session: each gets the session's server (UtilityHost) with the request.
import { ProtocolError, ProtocolErrorCode, type CompleteRequest, type SetLevelRequest, type SubscribeRequest } from '@modelcontextprotocol/server';
import type { BackendRegistry, Call } from '../backends/registry.js';
import { isLogLevel } from './downstream.js';
import { toProtocolError } from './gateway-errors.js';

/** What the utilities need of a session's server. */
export interface UtilityHost {
  readonly registry: BackendRegistry;
  /** The level the client chose with logging/setLevel. */
  logLevel?: string;
  /** Its resource subscriptions, from the first one on. */
  subscriptions?: Subscriptions;
  mayPrompt(name: string): boolean;
  /** May the caller use this resource or resource template? */
  mayResource(uri: string): boolean;
  forward<T>(ctx: unknown, run: (call: Call) => Promise<T>): Promise<T>;
  sendResourceUpdated(params: { uri: string }): Promise<void>;
}

/** One session's resource subscriptions; it listens for updates from its first subscription on. */
export class Subscriptions {
  private readonly uris = new Set<string>();
  private readonly stopListening: () => void;

  constructor(
    private readonly registry: BackendRegistry,
    updated: (uri: string) => void,
  ) {
    this.stopListening = registry.onResourceUpdated((uri) => {
      if (this.uris.has(uri)) updated(uri);
    });
  }

  has(uri: string): boolean {
    return this.uris.has(uri);
  }

  add(uri: string): void {
    this.uris.add(uri);
  }

  delete(uri: string): boolean {
    return this.uris.delete(uri);
  }

  /** The session closed: stop listening and give back its subscriptions at the backends. */
  end(): void {
    this.stopListening();
    for (const uri of this.uris) void this.registry.subscribe(uri, false).catch(() => {});
    this.uris.clear();
  }
}

type Handler<R> = (host: UtilityHost, request: R, ctx: unknown) => unknown;

const setLevel: Handler<SetLevelRequest> = (host, request) => {
  if (isLogLevel(request.params.level)) host.logLevel = request.params.level;
  return {};
};

const complete: Handler<CompleteRequest> = async (host, request, ctx) => {
  const ref = request.params.ref;
  const allowed = ref.type === 'ref/prompt' ? host.mayPrompt(ref.name) : host.mayResource(ref.uri);
  if (!allowed) throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'completion for something this caller may not use');
  try {
    return await host.forward(ctx, (call) => host.registry.complete(request.params, call));
  } catch (err) {
    toProtocolError(err);
  }
};

const subscribe: Handler<SubscribeRequest> = async (host, request) => {
  const { uri } = request.params;
  if (!host.mayResource(uri))
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `resource "${uri}" is not allowed for this caller by the gateway's policy`);
  if (host.subscriptions?.has(uri)) return {};
  try {
    await host.registry.subscribe(uri, true);
  } catch (err) {
    toProtocolError(err, uri);
  }
  host.subscriptions ??= new Subscriptions(host.registry, (updated) => void host.sendResourceUpdated({ uri: updated }).catch(() => {}));
  host.subscriptions.add(uri);
  return {};
};

const unsubscribe: Handler<SubscribeRequest> = async (host, request) => {
  const { uri } = request.params;
  if (host.subscriptions?.delete(uri)) await host.registry.subscribe(uri, false).catch(() => {});
  return {};
};

/** The utilities' request handlers, by method. */
export const UTILITY_HANDLERS = {
  'logging/setLevel': setLevel,
  'completion/complete': complete,
  'resources/subscribe': subscribe,
  'resources/unsubscribe': unsubscribe,
} as Record<string, Handler<never>>;
