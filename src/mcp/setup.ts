// The MCP endpoint, built from the configuration: the tool policy, the per-client limits (judged
// by the client's metadata, looked up with `findClient`), session caps, the body limit, the audit
// trail and the tool-call probes of metrics and traces.
import type { Logger } from 'pino';
import type { Audit } from '../audit/trail.js';
import type { BackendRegistry } from '../backends/registry.js';
import type { Config } from '../config/schema.js';
import { ClientRestrictions, clientLookup } from './client-restrictions.js';
import { McpEndpoint, type McpEndpointOptions } from './endpoint.js';
import { ToolPolicy } from './policy.js';

export function mcpEndpoint(deps: {
  config: Config;
  registry: BackendRegistry;
  info: McpEndpointOptions['info'];
  audit: Audit;
  log: Logger;
  /**
   * A client's metadata as Postern's authorization server knows it: registered, pre-registered or
   * from its metadata document (absent: clients are not Postern's own).
   */
  findClient?: (clientId: string) => Promise<Record<string, unknown> | undefined>;
  insufficientScope?: McpEndpointOptions['insufficientScope'];
  toolCalls?: McpEndpointOptions['toolCalls'];
  sessionRecords?: McpEndpointOptions['sessionRecords'];
}): McpEndpoint {
  const { config, log, findClient } = deps;
  const policy = new ToolPolicy(config.policy.rules);
  if (!policy.hasRules) log.warn('no policy rules configured: every signed-in caller may use every tool');
  const { idleTtl, ...sessionCaps } = config.mcp.sessions;
  return new McpEndpoint({
    registry: deps.registry,
    info: deps.info,
    log,
    sessionCaps,
    sessionIdleMs: idleTtl * 1000,
    policy,
    audit: deps.audit,
    restrictions: new ClientRestrictions(config.policy.clients, findClient ? clientLookup(findClient) : async () => undefined),
    insufficientScope: deps.insufficientScope,
    maxBody: config.server.mcpBodyLimit,
    toolCalls: deps.toolCalls,
    sessionRecords: deps.sessionRecords,
  });
}
