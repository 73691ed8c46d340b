// How a tool is written: defineTool() takes the schemas and a run() that returns the structured
// output; bindTool() turns it into a NextcloudTool whose handler opens a connection for the
// caller, validates the arguments, and turns any failure into a tool error.
import type { CallToolResult, ContentBlock, ToolAnnotations } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { NextcloudConnection } from './connection.js';
import { NextcloudError, toolError } from './errors.js';
import { DEFAULT_MAX_READ_BYTES, DEFAULT_TIMEOUT_MS, type NextcloudApp, type NextcloudTool, type NextcloudToolOptions } from './types.js';

export interface ToolContext {
  conn: NextcloudConnection;
  maxReadBytes: number;
}

/** A result whose content blocks differ from the default JSON text (file bodies, blobs). */
export class Rich<O> {
  constructor(
    readonly value: O,
    readonly content: ContentBlock[],
  ) {}
}

export interface ToolSpec<I extends z.ZodObject, O extends z.ZodObject> {
  name: string;
  title: string;
  description: string;
  app: NextcloudApp;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  run(args: z.output<I>, ctx: ToolContext): Promise<z.input<O> | Rich<z.input<O>>>;
}

export type AnyToolSpec = ToolSpec<z.ZodObject, z.ZodObject>;

export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(spec: ToolSpec<I, O>): AnyToolSpec {
  return spec as unknown as AnyToolSpec;
}

/** Reads nothing, changes nothing. */
export const READ_ONLY: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
/** Adds something new; calling twice adds twice. */
export const CREATES: ToolAnnotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };
/** Changes or replaces something that exists; the same call twice ends in the same state. */
export const CHANGES: ToolAnnotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false };
/** Adds to something that exists (appending); calling twice changes twice. */
export const ADDS_TO: ToolAnnotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };
/** Removes something. */
export const DELETES: ToolAnnotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false };

export function bindTool(spec: AnyToolSpec, options: NextcloudToolOptions): NextcloudTool {
  const maxReadBytes = options.maxReadBytes ?? DEFAULT_MAX_READ_BYTES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    name: spec.name,
    title: spec.title,
    description: spec.description,
    app: spec.app,
    inputSchema: spec.input,
    outputSchema: spec.output,
    annotations: { title: spec.title, ...spec.annotations },
    async handler(args, caller, signal): Promise<CallToolResult> {
      try {
        const parsed = spec.input.safeParse(args ?? {});
        if (!parsed.success) throw new NextcloudError('rejected', `Invalid arguments for ${spec.name}: ${z.prettifyError(parsed.error)}`);
        const out = await spec.run(parsed.data, { conn: new NextcloudConnection(caller, signal, timeoutMs), maxReadBytes });
        if (out instanceof Rich) return { content: out.content, structuredContent: out.value as Record<string, unknown> };
        return { content: [{ type: 'text', text: JSON.stringify(out) }], structuredContent: out as Record<string, unknown> };
      } catch (err) {
        return toolError(err);
      }
    },
  };
}
