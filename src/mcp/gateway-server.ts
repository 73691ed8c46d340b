// The MCP server that clients talk to: a low-level SDK Server whose list handlers answer from the
// registry's aggregated lists and whose call handlers forward to the owning backend. Errors from
// a backend keep their JSON-RPC code; a backend that is down answers at once with -32603.
import { ProtocolError, ProtocolErrorCode, ResourceNotFoundError, Server } from '@modelcontextprotocol/server';
import { BackendUnavailable, UnknownTarget } from '../backends/errors.js';
import type { BackendRegistry } from '../backends/registry.js';
import type { ToolPolicy } from './policy.js';
import type { Audit } from './audit.js';

/** Who is calling, as far as the policy needs to know. */
export interface Access {
  policy: ToolPolicy;
  caller: { roles: string[]; clientId: string; subject?: string };
  audit?: Audit;
}

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

function notAllowed(kind: string, name: string, access: Access): never {
  access.audit?.record({
    kind: 'mcp',
    action: name,
    subject: access.caller.subject,
    client: access.caller.clientId,
    decision: 'deny',
    outcome: 'error',
  });
  throw new ProtocolError(ProtocolErrorCode.InvalidParams, `${kind} "${name}" is not allowed for this caller by the gateway's policy`);
}

export function createGatewayServer(registry: BackendRegistry, info: GatewayInfo, access: Access): Server {
  const { policy, caller, audit } = access;
  const may = (name: string) => policy.allows(caller, name);
  const audited = <T>(action: string, run: () => Promise<T>): Promise<T> =>
    audit ? audit.timed({ kind: 'mcp', action, subject: caller.subject, client: caller.clientId }, run) : run();
  const server = new Server(
    { name: info.name, version: info.version },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { listChanged: true },
        prompts: { listChanged: true },
      },
      instructions: 'Tools from several MCP servers; each name is prefixed with its server: <server>__<tool>.',
    },
  );

  server.setRequestHandler('tools/list', () => ({
    tools: policy.hasRules ? registry.aggregate.tools.filter((t) => may(t.name)) : registry.aggregate.tools,
  }));
  server.setRequestHandler('prompts/list', () => ({
    prompts: policy.hasRules ? registry.aggregate.prompts.filter((p) => may(p.name)) : registry.aggregate.prompts,
  }));
  server.setRequestHandler('resources/list', () => ({ resources: registry.aggregate.resources }));
  server.setRequestHandler('resources/templates/list', () => ({
    resourceTemplates: registry.aggregate.resourceTemplates,
  }));

  server.setRequestHandler('tools/call', async (request, ctx) => {
    const { name, arguments: args } = request.params;
    if (!may(name)) notAllowed('tool', name, access);
    try {
      return await audited(name, () => registry.callTool(name, args, ctx.mcpReq.signal));
    } catch (err) {
      toProtocolError(err);
    }
  });

  server.setRequestHandler('prompts/get', async (request, ctx) => {
    if (!may(request.params.name)) notAllowed('prompt', request.params.name, access);
    try {
      return await audited(request.params.name, () => registry.getPrompt(request.params.name, request.params.arguments, ctx.mcpReq.signal));
    } catch (err) {
      toProtocolError(err);
    }
  });

  server.setRequestHandler('resources/read', async (request, ctx) => {
    try {
      return await audited(request.params.uri, () => registry.readResource(request.params.uri, ctx.mcpReq.signal));
    } catch (err) {
      toProtocolError(err, request.params.uri);
    }
  });

  return server;
}
