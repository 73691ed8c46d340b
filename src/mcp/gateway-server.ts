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
import { ProtocolError, ProtocolErrorCode, ResourceNotFoundError, Server } from '@modelcontextprotocol/server';
import type { CallToolRequest, CallToolResult } from '@modelcontextprotocol/server';
import { BackendUnavailable, UnknownTarget } from '../backends/errors.js';
import type { BackendRegistry, PolicyNames } from '../backends/registry.js';
import { callerOf, declaredCapabilities, isModern, LogLevel, type HandlerContext } from './downstream.js';
import { LinkRequired, linkRequired } from '../protocol/link-required.js';
import { forwarder } from './rounds.js';
import type { ParkedCalls } from './parked-calls.js';
import { addUtilityHandlers } from './utility-handlers.js';
import type { ToolPolicy } from './policy.js';
import type { Audit } from '../audit/trail.js';
import type { Restriction } from './client-restrictions.js';
import { toolReach } from '../protocol/scopes.js';
import { UNOBSERVED, type ToolCalls } from '../telemetry/tool-calls.js';

/** Who is calling, as far as the policy needs to know. */
export interface Access {
  policy: ToolPolicy;
  caller: { roles: string[]; clientId: string; subject?: string };
  /** The operator's limit on the caller's client (policy.clients), if one applies. */
  restriction?: Restriction;
  audit?: Audit;
  /** Calls to 2025-era backends waiting for a 2026-era caller's input (parked-calls.ts). */
  parked: ParkedCalls;
  /** Metrics and spans of tool calls, when on. */
  toolCalls?: ToolCalls;
}

type Ctx = HandlerContext;

const MAX_LOGGED_ARGUMENTS = 4096;

export interface GatewayInfo {
  name: string;
  version: string;
}

function toProtocolError(err: unknown, uri?: string): never {
  if (err instanceof ProtocolError) throw err;
  if (err instanceof UnknownTarget) {
    if (uri !== undefined) throw new ResourceNotFoundError(uri);
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, err.message);
  }
  if (err instanceof BackendUnavailable) throw new ProtocolError(ProtocolErrorCode.InternalError, err.message);
  const code = typeof (err as { code?: unknown })?.code === 'number' ? (err as { code: number }).code : ProtocolErrorCode.InternalError;
  throw new ProtocolError(code, err instanceof Error ? err.message : String(err));
}

function notAllowed(kind: string, name: string, access: Access, action = name): never {
  access.audit?.record({
    kind: 'mcp',
    action,
    subject: access.caller.subject,
    client: access.caller.clientId,
    decision: 'deny',
    outcome: 'error',
  });
  throw new ProtocolError(ProtocolErrorCode.InvalidParams, `${kind} "${name}" is not allowed for this caller by the gateway's policy`);
}

/** The tools/call handler; a session's lean path (session-lane.ts) also calls it directly. */
export type ToolCallHandler = (request: Pick<CallToolRequest, 'params'>, ctx: HandlerContext) => Promise<CallToolResult>;

interface Gateway {
  server: Server;
  callTool: ToolCallHandler;
}

export function createGatewayServer(registry: BackendRegistry, info: GatewayInfo, access: Access): Gateway {
  const { policy, audit, restriction } = access;
  const caller = restriction?.roles ? { ...access.caller, roles: access.caller.roles.filter((r) => restriction.roles!.includes(r)) } : access.caller;
  const judge = ({ qualified, alias }: PolicyNames) => policy.allows(caller, qualified, alias) && (restriction?.permits(qualified, alias) ?? true);
  const may = (name: string) => judge(registry.policyNames('prompt', name));
  const mayTool = (name: string, ctx: Ctx, names: PolicyNames = registry.policyNames('tool', name)) => {
    if (!judge(names)) return false;
    const readOnlyOnly = restriction?.readOnly || (ctx.http?.authInfo && toolReach(ctx.http.authInfo.scopes) === 'read');
    return !readOnlyOnly || registry.isReadOnly(name);
  };
  const audited = <T>(action: string, run: () => Promise<T>, extra: { arguments?: string } = {}): Promise<T> =>
    audit ? audit.timed({ kind: 'mcp', action, subject: caller.subject, client: caller.clientId, ...extra }, run) : run();
  const level = new LogLevel();
  /** Runs a backend call on behalf of the request in `ctx` (its token, stream, progress token, signal, round). */
  const forward = forwarder({
    level,
    sessionCapabilities: () => server.getClientCapabilities(),
    parked: access.parked,
    owner: `${caller.subject ?? ''}\n${caller.clientId}`,
  });
  const server = new Server(
    { name: info.name, version: info.version },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { listChanged: true, subscribe: true },
        prompts: { listChanged: true },
        logging: {},
        completions: {},
      },
      instructions: 'Tools from several MCP servers; each name is prefixed with its server: <server>__<tool>.',
    },
  );

  // The per-user backends' tools (auth: oauth) are the caller's own (registry.callerTools).
  server.setRequestHandler('tools/list', async (_request, ctx) => {
    const who = callerOf(ctx as unknown as Ctx);
    const own = who ? await registry.callerTools(who) : [];
    const tools = own.length ? [...registry.aggregate.tools, ...own] : registry.aggregate.tools;
    return { tools: tools.filter((t) => mayTool(t.name, ctx as unknown as Ctx)) };
  });
  server.setRequestHandler('prompts/list', () => ({
    prompts: registry.aggregate.prompts.filter((p) => may(p.name)),
  }));
  const mayResource = (names: PolicyNames | undefined) => names === undefined || judge(names);
  server.setRequestHandler('resources/list', () => ({
    resources: registry.aggregate.resources.filter((r) => mayResource(registry.resourcePolicyNames(r.uri))),
  }));
  server.setRequestHandler('resources/templates/list', () => ({
    resourceTemplates: registry.aggregate.resourceTemplates.filter((t) => mayResource(registry.templatePolicyNames(t.uriTemplate))),
  }));

  const callTool: ToolCallHandler = async (request, ctx) => {
    const { name, arguments: args } = request.params;
    const named = registry.resolve('tool', name);
    const action = named?.qualified ?? name;
    const probe = access.toolCalls?.probe(named, name) ?? UNOBSERVED;
    if (!probe.judge(() => mayTool(name, ctx, named))) notAllowed('tool', name, { ...access, caller }, action);
    const logged = named?.backend.config.auditArguments ? { arguments: JSON.stringify(args ?? {}).slice(0, MAX_LOGGED_ARGUMENTS) } : {};
    try {
      return await audited(action, () => forward(ctx, (call) => probe.call(() => registry.callTool(name, args, call))), logged);
    } catch (err) {
      // The caller must link their account at a per-user backend first (or again).
      if (err instanceof LinkRequired)
        return linkRequired(err.url, err.what, isModern(ctx) ? declaredCapabilities(ctx) : server.getClientCapabilities(), err.reason);
      toProtocolError(err);
    }
  };
  server.setRequestHandler('tools/call', (request, ctx) => callTool(request, ctx as unknown as Ctx));

  server.setRequestHandler('prompts/get', async (request, ctx) => {
    const names = registry.policyNames('prompt', request.params.name);
    if (!judge(names)) notAllowed('prompt', request.params.name, { ...access, caller }, names.qualified);
    try {
      return await audited(names.qualified, () => forward(ctx, (call) => registry.getPrompt(request.params.name, request.params.arguments, call)));
    } catch (err) {
      toProtocolError(err);
    }
  });

  server.setRequestHandler('resources/read', async (request, ctx) => {
    if (!mayResource(registry.resourcePolicyNames(request.params.uri))) notAllowed('resource', request.params.uri, { ...access, caller });
    try {
      return await audited(request.params.uri, () => forward(ctx, (call) => registry.readResource(request.params.uri, call)));
    } catch (err) {
      toProtocolError(err, request.params.uri);
    }
  });

  addUtilityHandlers(server, {
    registry,
    level,
    mayPrompt: may,
    mayResource: (uri) => mayResource(registry.resourcePolicyNames(uri) ?? registry.templatePolicyNames(uri)),
    forward,
    toProtocolError,
  });
  return { server, callTool };
}
