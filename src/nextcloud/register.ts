// Putting the toolset on an SDK McpServer: every tool (handlers get the caller from the wiring)
// and the nextcloud://files/{+path} resource template (list: the top folder; read: one file,
// capped at maxReadBytes).
import { type McpServer, ResourceNotFoundError, ResourceTemplate, type ServerContext } from '@modelcontextprotocol/server';
import { NextcloudConnection } from './connection.js';
import { NextcloudError, toolError } from './errors.js';
import { fileUri, readFileBody } from './file-read.js';
import { toEntry, withWebdav } from './webdav-client.js';
import { DEFAULT_MAX_READ_BYTES, type NextcloudCaller, type NextcloudTool, type NextcloudToolOptions } from './types.js';

export type CallerResolver = (ctx: ServerContext) => NextcloudCaller | Promise<NextcloudCaller>;

export const FILES_RESOURCE_TEMPLATE = 'nextcloud://files/{+path}';
const MAX_LISTED_RESOURCES = 200;

export interface RegisterOptions extends NextcloudToolOptions {
  /**
   * List the top folder's files under resources/list (default true). Off for a server whose lists
   * must not depend on the caller (the gateway lists with a server that has no caller).
   */
  listFiles?: boolean;
}

/** Registers the tools and the files resource template on `server`. */
export function registerNextcloud(server: McpServer, tools: NextcloudTool[], caller: CallerResolver, options: RegisterOptions = {}): void {
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      { title: tool.title, description: tool.description, inputSchema: tool.inputSchema, outputSchema: tool.outputSchema, annotations: tool.annotations },
      async (args: Record<string, unknown>, ctx: ServerContext) => {
        let who: NextcloudCaller;
        try {
          who = await caller(ctx);
        } catch (err) {
          return toolError(err);
        }
        return tool.handler(args, who, ctx.mcpReq.signal);
      },
    );
  }
  if (tools.some((t) => t.app === 'files')) registerFilesResource(server, caller, options);
}

function registerFilesResource(server: McpServer, caller: CallerResolver, options: RegisterOptions): void {
  const maxBytes = options.maxReadBytes ?? DEFAULT_MAX_READ_BYTES;
  const template = new ResourceTemplate(FILES_RESOURCE_TEMPLATE, {
    list:
      options.listFiles === false
        ? undefined
        : async (ctx) => {
            const conn = new NextcloudConnection(await caller(ctx), ctx.mcpReq.signal, options.timeoutMs);
            const stats = await withWebdav(conn, (dav) => dav.getDirectoryContents('/'));
            const files = stats.map(toEntry).filter((e) => e.type === 'file');
            return {
              resources: files
                .slice(0, MAX_LISTED_RESOURCES)
                .map((e) => ({ uri: fileUri(e.path), name: e.name, ...(e.mimeType ? { mimeType: e.mimeType } : {}), size: e.size })),
            };
          },
  });
  server.registerResource(
    'nextcloud-files',
    template,
    {
      title: 'Nextcloud files',
      description: `Files in the user's Nextcloud (up to ${maxBytes} bytes each); the path is the file's path, e.g. nextcloud://files/Documents/notes.md.`,
    },
    async (uri, _vars, ctx) => {
      const path = decodeURIComponent(uri.pathname);
      const conn = new NextcloudConnection(await caller(ctx), ctx.mcpReq.signal, options.timeoutMs);
      try {
        const body = await readFileBody(conn, path, maxBytes);
        const content = body.text !== undefined ? { text: body.text } : { blob: body.base64! };
        return { contents: [{ uri: uri.href, mimeType: body.mimeType, ...content }] };
      } catch (err) {
        if (err instanceof NextcloudError && err.kind === 'not-found') throw new ResourceNotFoundError(uri.href);
        throw err;
      }
    },
  );
}
