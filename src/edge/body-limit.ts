// Request bodies are counted while they arrive, for every route, before any route reads them: a
// Content-Length over the route's limit is refused at once, and a chunked body is counted chunk by
// chunk as the HTTP parser hands it over, whoever reads it (the lean /mcp path, Hono, oidc-provider,
// the forms) and even when nobody does. Past the limit: nothing more reaches the route, the
// answer is 413 in the route's style with `Connection: close`, and the connection is closed once
// the answer is out (after LINGER_MS). Limits per route family are in config/limits.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AUTHORIZATION_SERVER_BODY_LIMIT, FORM_BODY_LIMIT } from '../config/limits.js';
import { errorPage } from '../pages/html.js';
import { pageHeaders } from '../pages/headers.js';

type Style = 'json-rpc' | 'page' | 'oauth';

interface Rule {
  limit: number;
  style: Style;
}

/** Requests whose body was refused here: what their routes do afterwards is not an error. */
const refused = new WeakSet<IncomingMessage>();

export function bodyRefused(req: IncomingMessage): boolean {
  return refused.has(req);
}

/** The limit and the error style of the route at `pathname`. */
function ruleFor(pathname: string, mcpBodyLimit: number): Rule {
  if (pathname === '/mcp') return { limit: mcpBodyLimit, style: 'json-rpc' };
  const page = (path: string) => pathname === path || pathname.startsWith(`${path}/`);
  if (pathname.startsWith('/interaction/') || page('/account') || page('/admin')) {
    return { limit: FORM_BODY_LIMIT, style: 'page' };
  }
  // The authorization server's endpoints, and the routes that take no body at all.
  return { limit: AUTHORIZATION_SERVER_BODY_LIMIT, style: 'oauth' };
}

function answer(style: Style, limit: number): { type: string; body: string; headers: Record<string, string> } {
  const message = `the request body is larger than ${limit} bytes`;
  if (style === 'json-rpc') {
    return { type: 'application/json', body: JSON.stringify({ jsonrpc: '2.0', error: { code: -32600, message }, id: null }), headers: {} };
  }
  if (style === 'page') {
    return { type: 'text/html; charset=utf-8', body: errorPage('Request too large', `The form is too large: ${message}.`), headers: pageHeaders() };
  }
  return { type: 'application/json', body: JSON.stringify({ error: 'invalid_request', error_description: message }), headers: {} };
}

/**
 * How long a refused connection stays half-open after the 413: the answer and our FIN go out, and
 * a client still busy sending reads its answer before the reset that closing over its unread
 * body causes. The socket is not read meanwhile (unless no route read the body at all: then Node
 * discards what arrives, for this long at most).
 */
const LINGER_MS = 1000;

/** Answers 413 (unless an answer has started) and drops the connection once the answer is out. */
function refuse(req: IncomingMessage, res: ServerResponse, rule: Rule): void {
  refused.add(req);
  const socket = req.socket;
  // Whoever still waits for the body learns that it is gone (Node emits this only to listeners).
  socket.once('close', () => req.destroy(new Error(`request body over ${rule.limit} bytes refused`)));
  if (res.headersSent) {
    socket.destroy();
    return;
  }
  // Node ends a `Connection: close` response with socket.destroySoon(), which would reset the
  // connection at once over the unread body; this one lingers first (LINGER_MS).
  socket.destroySoon = () => {
    socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
  const { type, body, headers } = answer(rule.style, rule.limit);
  res.writeHead(413, { ...headers, 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', connection: 'close' });
  res.end(body);
}

/**
 * Puts the body limit of the route at `pathname` on the request. False when the request was
 * refused here already (its Content-Length is over the limit); it must not be routed then.
 */
export function limitBody(req: IncomingMessage, res: ServerResponse, pathname: string, mcpBodyLimit: number): boolean {
  const rule = ruleFor(pathname, mcpBodyLimit);
  const length = req.headers['content-length'];
  if (length !== undefined) {
    // Node's parser checks the number and never delivers more than it announces.
    if (Number(length) <= rule.limit) return true;
    refuse(req, res, rule);
    return false;
  }
  if (req.headers['transfer-encoding'] === undefined) return true;
  // A chunked body: every chunk the parser delivers goes through push().
  let received = 0;
  const push = req.push;
  req.push = function (chunk: unknown, encoding?: BufferEncoding): boolean {
    if (refused.has(req)) return false;
    if (chunk !== null && chunk !== undefined) {
      received += (chunk as Buffer).length;
      if (received > rule.limit) {
        refuse(req, res, rule);
        return false; // the parser stops reading from the socket
      }
    }
    return push.call(this, chunk, encoding);
  };
  return true;
}
