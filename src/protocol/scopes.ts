// The MCP scopes and what each request needs: `mcp:tools` lists and calls every tool,
// `mcp:tools:read` lists and calls only the tools a backend marks `readOnlyHint`, and
// `mcp:resources` / `mcp:prompts` cover their families. A token without what a request needs is
// answered 403 insufficient_scope (RFC 6750 §3.1) so the client can step up.

export const TOOLS = 'mcp:tools';
export const TOOLS_READ = 'mcp:tools:read';

/** Every scope Postern understands (protected-resource metadata, registration). */
export const MCP_SCOPES = [TOOLS, TOOLS_READ, 'mcp:resources', 'mcp:prompts'] as const;

/** The full set a client is told to ask for; mcp:tools already covers mcp:tools:read. */
export const DEFAULT_SCOPES = [TOOLS, 'mcp:resources', 'mcp:prompts'] as const;

const FAMILY: Array<[string, string]> = [
  ['resources/', 'mcp:resources'],
  ['prompts/', 'mcp:prompts'],
];

/** May a token with `granted` scopes see and call every tool, or only the read-only ones? */
export function toolReach(granted: readonly string[]): 'all' | 'read' | 'none' {
  if (granted.includes(TOOLS)) return 'all';
  return granted.includes(TOOLS_READ) ? 'read' : 'none';
}

/**
 * The scopes the JSON-RPC message(s) in `body` need and `granted` lacks. `isReadOnly` says
 * whether a (prefixed) tool name is marked readOnlyHint by its backend.
 */
export function missingScopes(body: unknown, granted: readonly string[], isReadOnly: (tool: string) => boolean): string[] {
  const missing = new Set<string>();
  const reach = toolReach(granted);
  for (const message of Array.isArray(body) ? body : [body]) {
    const { method, params } = (message ?? {}) as { method?: unknown; params?: { name?: unknown } };
    if (typeof method !== 'string') continue;
    if (method.startsWith('tools/')) {
      const readOnlyCall = method === 'tools/call' && typeof params?.name === 'string' && isReadOnly(params.name);
      const enough = reach === 'all' || (reach === 'read' && (method !== 'tools/call' || readOnlyCall));
      if (!enough) missing.add(TOOLS);
      continue;
    }
    for (const [prefix, scope] of FAMILY) if (method.startsWith(prefix) && !granted.includes(scope)) missing.add(scope);
  }
  return [...missing];
}
