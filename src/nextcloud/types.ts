// The toolset's public shapes: who calls (NextcloudCaller), what one tool is (NextcloudTool),
// and the options the wiring passes in. Nothing here does I/O.
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import { NEXTCLOUD_APPS } from './schema.js';

export { NEXTCLOUD_APPS };

/** Who is calling and how to reach their Nextcloud; built per call by the wiring. */
export interface NextcloudCaller {
  /** Nextcloud's base URL, e.g. https://cloud.example.com (a sub-path install keeps its path). */
  baseUrl: string;
  /** The Nextcloud user id (used in DAV paths such as /remote.php/dav/files/<username>/). */
  username: string;
  /** The login name the app password belongs to, when it differs from the user id (e.g. an email). */
  loginName?: string;
  credential: { kind: 'basic'; appPassword: string } | { kind: 'bearer'; token: string };
}

export type NextcloudApp = (typeof NEXTCLOUD_APPS)[number];

export interface NextcloudToolOptions {
  /** Families to offer (default: all). */
  apps?: readonly NextcloudApp[];
  /** Largest file files_read / the files resource returns; larger ones are refused (default 1 MiB). */
  maxReadBytes?: number;
  /** Time limit of one request to Nextcloud in ms (default 30 s). */
  timeoutMs?: number;
}

export const DEFAULT_MAX_READ_BYTES = 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 30_000;

/** One tool: what tools/list shows, and the handler tools/call runs. */
export interface NextcloudTool {
  name: string;
  title: string;
  description: string;
  app: NextcloudApp;
  inputSchema: z.ZodObject;
  outputSchema: z.ZodObject;
  annotations: ToolAnnotations;
  /** Never throws for Nextcloud failures: they come back as `isError: true` results. */
  handler(args: Record<string, unknown>, caller: NextcloudCaller, signal?: AbortSignal): Promise<CallToolResult>;
}
