// SEP-2243 custom headers on a 2026-07-28 tools/call: a tool whose inputSchema marks a property
// with `"x-mcp-header": "Name"` has that argument mirrored by the client in an `Mcp-Param-Name`
// header (the value as is, or `=?base64?…?=` around the Base64 of its UTF-8 bytes), so that
// proxies and load balancers can route on it. The server must refuse a call whose header is
// missing while the argument is in the body, whose Base64 is malformed, or whose header and
// argument disagree: HTTP 400 with HeaderMismatch (-32020). The gateway checks this against the
// tool as it lists it, before the call reaches policy or backend. Only declarations reachable
// through `properties` count, as the spec allows no others.
import type { Tool } from '@modelcontextprotocol/server';

const HEADER_MISMATCH = -32020;
const PREFIX = 'Mcp-Param-';
const SENTINEL = /^=\?base64\?(.*)\?=$/s;
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DECIMAL = /^-?\d+(?:\.\d+)?$/;

interface Declaration {
  path: string[];
  header: string;
  numeric: boolean;
}

const scanned = new WeakMap<object, Declaration[]>();

/** The x-mcp-header declarations of an inputSchema, along chains of `properties`. */
function declarationsOf(schema: Tool['inputSchema']): Declaration[] {
  let found = scanned.get(schema);
  if (found) return found;
  found = [];
  const visit = (node: unknown, path: string[]) => {
    const properties = (node as { properties?: unknown } | null)?.properties;
    if (!properties || typeof properties !== 'object') return;
    for (const [key, child] of Object.entries(properties as Record<string, Record<string, unknown>>)) {
      if (!child || typeof child !== 'object') continue;
      const header = child['x-mcp-header'];
      if (typeof header === 'string' && header) found!.push({ path: [...path, key], header, numeric: child.type === 'integer' || child.type === 'number' });
      visit(child, [...path, key]);
    }
  };
  visit(schema, []);
  scanned.set(schema, found);
  return found;
}

/** Does the tool mark any argument to be mirrored in an Mcp-Param-* header? */
export const declaresParamHeaders = (tool: Tool | undefined): boolean => tool !== undefined && declarationsOf(tool.inputSchema).length > 0;

/** A header's value as the client meant it; undefined when its Base64 is malformed. */
function decode(value: string): string | undefined {
  const wrapped = SENTINEL.exec(value);
  if (!wrapped) return value;
  if (!CANONICAL_BASE64.test(wrapped[1]!)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(wrapped[1]!, 'base64'));
  } catch {
    return undefined;
  }
}

/** Why the call's headers and arguments disagree, if they do. */
function disagreement(declarations: Declaration[], args: unknown, headers: Headers): { header: string; problem: string } | undefined {
  for (const { path, header, numeric } of declarations) {
    const value = path.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), args);
    // No value, no header expected; a value of the wrong kind is the arguments' own fault.
    if (value === undefined || value === null || !['string', 'number', 'boolean'].includes(typeof value)) continue;
    const name = `${PREFIX}${header}`;
    const sent = headers.get(name);
    if (sent === null) return { header: name, problem: `the arguments carry ${path.join('.')} but the ${name} header is missing` };
    const meant = decode(sent);
    if (meant === undefined) return { header: name, problem: `the ${name} header is not valid Base64` };
    const same = numeric && typeof value === 'number' && DECIMAL.test(meant) ? Number(meant) === value : meant === String(value);
    if (!same)
      return { header: name, problem: `the ${name} header says ${JSON.stringify(meant)} but the arguments carry ${path.join('.')}=${JSON.stringify(value)}` };
  }
  return undefined;
}

/**
 * The 400 answer for a 2026-07-28 tools/call whose Mcp-Param-* headers do not match its
 * arguments, or undefined when they match (or the body is not such a call).
 */
export function paramHeaderRejection(body: unknown, headers: Headers, toolNamed: (name: string) => Tool | undefined): Response | undefined {
  const message = body as { method?: unknown; id?: unknown; params?: { name?: unknown; arguments?: unknown } } | null;
  if (message?.method !== 'tools/call' || typeof message.params?.name !== 'string') return undefined;
  const tool = toolNamed(message.params.name);
  const declarations = tool ? declarationsOf(tool.inputSchema) : [];
  if (!declarations.length) return undefined;
  const found = disagreement(declarations, message.params.arguments, headers);
  if (!found) return undefined;
  return Response.json(
    {
      jsonrpc: '2.0',
      id: message.id ?? null,
      error: {
        code: HEADER_MISMATCH,
        message: `Bad Request: the request headers and body disagree: ${found.problem}`,
        data: { mismatch: { header: found.header } },
      },
    },
    { status: 400 },
  );
}
