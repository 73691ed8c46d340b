// The MCP server that clients talk to: a low-level SDK Server whose list handlers answer from the
// registry's aggregated lists and whose call handlers forward to the owning backend. Errors from
// a backend keep their JSON-RPC code; a backend that is down answers at once with -32603.
// What a caller sees and may call is the policy's answer, narrowed by the client's restriction
// and by the token's scope (mcp:tools:read reaches read-only tools only); the policy judges the
// qualified name `<backend>__<name>`, and the published name when that differs (a backend listed
// without or with another prefix, a renamed or sanitised name); the audit trail records the
// qualified name. What a backend sends during a call (progress, log messages, sampling,
// elicitation) is relayed to its caller, and a backend's input_required answer goes back to it
// (rounds.ts): every retry is a new call, judged by the policy again.
//
// One GatewayServer serves one 2025-era session (or one 2026-07-28 request). It holds only what
// is the session's own — its caller, its log level, its subscriptions — beside what the SDK's
// Server keeps per connection. The handlers are module-level functions shared by every session,
// each given the session's server; a session registers a method's handler with the SDK on its
// first request for that method, through the SDK's fallback handler (the SDK keeps about 275
// bytes per registered handler and connection, and most sessions use a few methods).
import { ProtocolError, ProtocolErrorCode, Server } from '@modelcontextprotocol/server';
import type { CallToolRequest, CallToolResult, GetPromptRequest, JSONRPCRequest, ReadResourceRequest, Result } from '@modelcontextprotocol/server';
import type { BackendRegistry, Call, PolicyNames } from '../backends/registry.js';
import { callerOf, declaredCapabilities, isModern, type HandlerContext } from './downstream.js';
import { LinkRequired, linkRequired } from '../protocol/link-required.js';
import { forward, type RoundDeps } from './rounds.js';
import type { ParkedCalls } from './parked-calls.js';
import { type Subscriptions, UTILITY_HANDLERS, type UtilityHost } from './utility-handlers.js';
import { toProtocolError } from './gateway-errors.js';
import type { ToolPolicy } from './policy.js';
import type { Audit } from '../audit/trail.js';
import type { Restriction } from './client-restrictions.js';
import { toolReach } from '../protocol/scopes.js';
import { UNOBSERVED, type ToolCalls } from '../telemetry/tool-calls.js';

/** What every session and request of one endpoint shares. */
export interface GatewayDeps {
  registry: BackendRegistry;
  info: GatewayInfo;
  policy: ToolPolicy;
  audit?: Audit;
  parked: ParkedCalls;
  toolCalls?: ToolCalls;
}

/** The caller of one session or request: its roles already narrowed by the client's restriction. */
export interface Caller {
  roles: string[];
  clientId: string;
  subject?: string;
  restriction?: Restriction;
}

type Ctx = HandlerContext;

const MAX_LOGGED_ARGUMENTS = 4096;

export interface GatewayInfo {
  name: string;
  version: string;
}

/** The tools/call handler; a session's lean path (session-lane.ts) also calls it directly. */
export type ToolCallHandler = (request: Pick<CallToolRequest, 'params'>, ctx: HandlerContext) => Promise<CallToolResult>;

const OPTIONS = {
  capabilities: {
    tools: { listChanged: true },
    resources: { listChanged: true, subscribe: true },
    prompts: { listChanged: true },
    logging: {},
    completions: {},
  },
  instructions: 'Tools from several MCP servers; each name is prefixed with its server: <server>__<tool>.',
};

/** The caller of a token, its roles narrowed by the operator's restriction on its client (policy.clients), if one applies. */
export function callerFrom(caller: { roles: string[]; clientId: string; subject?: string }, restriction?: Restriction): Caller {
  const roles = restriction?.roles ? caller.roles.filter((r) => restriction.roles!.includes(r)) : caller.roles;
  return { roles, clientId: caller.clientId, subject: caller.subject, restriction };
}

export class GatewayServer extends Server implements RoundDeps, UtilityHost {
  /** The level the client chose with logging/setLevel, if it chose one. */
  logLevel?: string;
  subscriptions?: Subscriptions;

  /**
   * `onFirstUse`: each handler is registered on the first request for its method (a session).
   * Otherwise all are registered at once (a 2026-07-28 request): there the SDK answers a method
   * without a handler with HTTP 404 before any handler runs, which a fallback would turn into an
   * error on HTTP 200.
   */
  constructor(
    readonly gateway: GatewayDeps,
    readonly caller: Caller,
    onFirstUse = false,
  ) {
    super({ name: gateway.info.name, version: gateway.info.version }, OPTIONS);
    if (onFirstUse) {
      // The SDK answers logging/setLevel itself for the logging capability; the gateway's own
      // handler keeps the level that relayed log messages are filtered by.
      this.removeRequestHandler('logging/setLevel');
      this.fallbackRequestHandler = (request, ctx) => this.firstRequest(request, ctx);
    } else for (const method of Object.keys(HANDLERS)) this.register(method);
  }

  get registry(): BackendRegistry {
    return this.gateway.registry;
  }

  get parked(): ParkedCalls {
    return this.gateway.parked;
  }

  get owner(): string {
    return `${this.caller.subject ?? ''}\n${this.caller.clientId}`;
  }

  sessionCapabilities() {
    return this.getClientCapabilities();
  }

  /** The first request for one of the gateway's methods registers its handler, then takes it. */
  private firstRequest(request: JSONRPCRequest, ctx: unknown): Promise<Result> {
    if (!Object.hasOwn(HANDLERS, request.method)) throw new ProtocolError(ProtocolErrorCode.MethodNotFound, 'Method not found');
    this.register(request.method);
    return this._getRequestHandler(request.method)!(request, ctx as never);
  }

  private register(method: string): void {
    const handler = HANDLERS[method]!;
    this.setRequestHandler(method as 'ping', ((request: unknown, ctx: unknown) => handler(this, request as never, ctx as Ctx)) as never);
  }

  /** Does the policy, with the client's restriction, let the caller use what has these names? */
  permits({ qualified, alias }: PolicyNames): boolean {
    return this.gateway.policy.allows(this.caller, qualified, alias) && (this.caller.restriction?.permits(qualified, alias) ?? true);
  }

  mayPrompt(name: string): boolean {
    return this.permits(this.registry.policyNames('prompt', name));
  }

  mayTool(name: string, ctx: Ctx, names: PolicyNames = this.registry.policyNames('tool', name)): boolean {
    if (!this.permits(names)) return false;
    const readOnlyOnly = this.caller.restriction?.readOnly || (ctx.http?.authInfo && toolReach(ctx.http.authInfo.scopes) === 'read');
    return !readOnlyOnly || this.registry.isReadOnly(name);
  }

  /** May the caller use a resource (or template) with these policy names (none: not a backend's)? */
  mayResourceNamed(names: PolicyNames | undefined): boolean {
    return names === undefined || this.permits(names);
  }

  mayResource(uri: string): boolean {
    return this.mayResourceNamed(this.registry.resourcePolicyNames(uri) ?? this.registry.templatePolicyNames(uri));
  }

  audited<T>(action: string, run: () => Promise<T>, extra: { arguments?: string } = {}): Promise<T> {
    const { audit } = this.gateway;
    return audit ? audit.timed({ kind: 'mcp', action, subject: this.caller.subject, client: this.caller.clientId, ...extra }, run) : run();
  }

  /** Runs a backend call on behalf of the request in `ctx` (its token, stream, progress token, signal, round). */
  forward<T>(ctx: unknown, run: (call: Call) => Promise<T>): Promise<T> {
    return forward(this, ctx, run);
  }

  notAllowed(kind: string, name: string, action = name): never {
    this.gateway.audit?.record({
      kind: 'mcp',
      action,
      subject: this.caller.subject,
      client: this.caller.clientId,
      decision: 'deny',
      outcome: 'error',
    });
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `${kind} "${name}" is not allowed for this caller by the gateway's policy`);
  }

  async callTool(request: Pick<CallToolRequest, 'params'>, ctx: Ctx): Promise<CallToolResult> {
    const { registry } = this;
    const { name, arguments: args } = request.params;
    const named = registry.resolve('tool', name);
    const action = named?.qualified ?? name;
    const probe = this.gateway.toolCalls?.probe(named, name) ?? UNOBSERVED;
    if (!probe.judge(() => this.mayTool(name, ctx, named))) this.notAllowed('tool', name, action);
    const logged = named?.backend.config.auditArguments ? { arguments: JSON.stringify(args ?? {}).slice(0, MAX_LOGGED_ARGUMENTS) } : {};
    try {
      return await this.audited(action, () => this.forward(ctx, (call) => probe.call(() => registry.callTool(name, args, call))), logged);
    } catch (err) {
      // The caller must link their account at a per-user backend first (or again).
      if (err instanceof LinkRequired)
        return linkRequired(err.url, err.what, isModern(ctx) ? declaredCapabilities(ctx) : this.getClientCapabilities(), err.reason);
      toProtocolError(err);
    }
  }

  protected override _onclose(): void {
    this.subscriptions?.end();
    this.subscriptions = undefined;
    super._onclose();
  }
}

type Handler = (server: GatewayServer, request: never, ctx: Ctx) => unknown;

/** The gateway's request handlers, by method; the SDK's own (initialize, ping) stay its own. */
const HANDLERS: Record<string, Handler> = {
  // The per-user backends' tools (auth: oauth) are the caller's own (registry.callerTools).
  'tools/list': async (s: GatewayServer, _request: unknown, ctx: Ctx) => {
    const who = callerOf(ctx);
    const own = who ? await s.registry.callerTools(who) : [];
    const tools = own.length ? [...s.registry.aggregate.tools, ...own] : s.registry.aggregate.tools;
    return { tools: tools.filter((t) => s.mayTool(t.name, ctx)) };
  },
  'prompts/list': (s: GatewayServer) => ({
    prompts: s.registry.aggregate.prompts.filter((p) => s.mayPrompt(p.name)),
  }),
  'resources/list': (s: GatewayServer) => ({
    resources: s.registry.aggregate.resources.filter((r) => s.mayResourceNamed(s.registry.resourcePolicyNames(r.uri))),
  }),
  'resources/templates/list': (s: GatewayServer) => ({
    resourceTemplates: s.registry.aggregate.resourceTemplates.filter((t) => s.mayResourceNamed(s.registry.templatePolicyNames(t.uriTemplate))),
  }),
  'tools/call': (s: GatewayServer, request: CallToolRequest, ctx: Ctx) => s.callTool(request, ctx),
  'prompts/get': async (s: GatewayServer, request: GetPromptRequest, ctx: Ctx) => {
    const names = s.registry.policyNames('prompt', request.params.name);
    if (!s.permits(names)) s.notAllowed('prompt', request.params.name, names.qualified);
    try {
      return await s.audited(names.qualified, () => s.forward(ctx, (call) => s.registry.getPrompt(request.params.name, request.params.arguments, call)));
    } catch (err) {
      toProtocolError(err);
    }
  },
  'resources/read': async (s: GatewayServer, request: ReadResourceRequest, ctx: Ctx) => {
    const { uri } = request.params;
    if (!s.mayResourceNamed(s.registry.resourcePolicyNames(uri))) s.notAllowed('resource', uri);
    try {
      return await s.audited(uri, () => s.forward(ctx, (call) => s.registry.readResource(uri, call)));
    } catch (err) {
      toProtocolError(err, uri);
    }
  },
  ...(UTILITY_HANDLERS as Record<string, Handler>),
};
