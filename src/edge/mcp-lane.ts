// The way into the lean paths of POST /mcp — on an established 2025-era session
// (mcp/session-lane.ts), and of a 2026-07-28 stateless call (mcp/stateless-lane.ts): the body is
// read straight from the node request and the bearer token checked by the guard, without
// building a web Request. Whatever the lean path does not take, refusals included, goes on to the
// /mcp route of app.ts with the body already read, and is answered there.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/server';
import type { Guard } from '../guard/guard.js';
import type { McpEndpoint } from '../mcp/endpoint.js';
import { mayBeStateless } from '../mcp/stateless-lane.js';
import { ANONYMOUS, authInfoOf } from './auth-info.js';

export type McpLane = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/**
 * Reads the body. edge/body-limit.ts has already bounded it (a larger one is answered with 413 and
 * never ends here); `limit` keeps this read bounded on its own.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData).off('end', done).off('error', reject).off('close', closed);
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) done();
    };
    const closed = () => reject(new Error('the connection closed before the body ended'));
    req.on('data', onData).on('end', done).on('error', reject).on('close', closed);
  });
}

export function createMcpLane(deps: { guard?: Guard; endpoint: McpEndpoint; mcpUrl: string; maxBody: number }): McpLane {
  const resource = new URL(deps.mcpUrl);
  return async (req, res) => {
    // Browsers (Origin) need the route's CORS answer; a query string may carry a token it refuses.
    if (req.method !== 'POST' || req.url !== '/mcp' || req.headers.origin !== undefined) return false;
    const onSession = req.headers['mcp-session-id'] !== undefined;
    if (!onSession && !mayBeStateless(req.headers)) return false;
    if (Number(req.headers['content-length'] ?? 0) > deps.maxBody) return false;
    let body: Buffer;
    try {
      body = await readBody(req, deps.maxBody);
    } catch {
      return true; // the client went away in the middle of its body: nothing is left to answer
    }
    // @hono/node-server builds the route's Request body from rawBody when the stream is consumed.
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
    if (body.length > deps.maxBody) return false;
    let message: unknown;
    try {
      message = JSON.parse(body.toString('utf8'));
    } catch {
      return false;
    }
    const serve = (subject: string, authInfo: AuthInfo | undefined) =>
      onSession ? deps.endpoint.serveLean(req.headers, message, subject, authInfo, res) : deps.endpoint.serveStateless(req.headers, message, authInfo, res);
    if (!deps.guard) return serve(ANONYMOUS, undefined);
    const result = await deps.guard.check(req.headers.authorization);
    if (!result.ok) return false;
    return serve(result.caller.subject, authInfoOf(result.caller, result.token, resource));
  };
}
