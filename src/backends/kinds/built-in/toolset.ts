// What a built-in toolset is: an MCP server that runs inside Postern's process, built anew for
// each calling user, who it knows together with that user's stored upstream credentials (the
// Nextcloud app password Login Flow v2 kept, an upstream refresh token).
import type { Transport } from '@modelcontextprotocol/client';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { CallerIdentity } from '../../call-context.js';

/** The caller's stored upstream credential for `source` ("nextcloud", "oidc:<id>"), opened; undefined when there is none. */
export type CredentialLookup = (subject: string, source: string) => Promise<string | undefined>;

export interface ToolsetContext<S> {
  /** The entry's `settings`, as the toolset's schema parsed them. */
  settings: S;
  /** The calling user; undefined for the server Postern lists the toolset's tools with. */
  caller?: CallerIdentity;
  /** The caller's credential for `source` (always undefined without a caller). */
  credential(source: string): Promise<string | undefined>;
  log: Logger;
}

/** The MCP server a toolset builds (an McpServer of @modelcontextprotocol/server). */
export interface ToolsetServer {
  connect(transport: Transport): Promise<void>;
  close(): Promise<void>;
}

export interface BuiltInToolset<S = unknown> {
  /** What `toolset` names in an mcpServers entry of type "built-in". */
  readonly name: string;
  /** Its `settings`; the same schema is listed in schema.ts (TOOLSET_SETTINGS) for the config check. */
  readonly settings: z.ZodType<S>;
  /** Builds the server for one caller. Its tool, prompt and resource lists must not depend on the caller. */
  createServer(ctx: ToolsetContext<S>): ToolsetServer | Promise<ToolsetServer>;
}
