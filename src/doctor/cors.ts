// CORS checks: a browser-based client (the MCP Inspector, web apps) sends a preflight before its
// POST to /register, /token and the MCP URL; each must allow the origin and the headers (POST is a
// safelisted method, so Access-Control-Allow-Methods need not name it).
import { baseHeaders, type DoctorContext } from './context.js';
import { describeFailure } from './http.js';

/** The origin the preflights come from: a web client's. */
export const PREFLIGHT_ORIGIN = 'https://claude.ai';

const MCP_HEADERS = ['authorization', 'content-type', 'mcp-protocol-version', 'mcp-session-id'];

export async function corsChecks(ctx: DoctorContext): Promise<void> {
  const targets = [
    { id: 'cors-register', name: 'registration endpoint', url: ctx.as?.registration_endpoint, headers: ['content-type'] },
    { id: 'cors-token', name: 'token endpoint', url: ctx.as?.token_endpoint, headers: ['content-type'] },
    { id: 'cors-mcp', name: 'MCP URL', url: ctx.url.toString(), headers: MCP_HEADERS },
  ];
  for (const target of targets) {
    const title = `CORS preflight on the ${target.name}`;
    if (typeof target.url !== 'string') {
      ctx.report.skip(target.id, title, ctx.as ? `the metadata names no ${target.name}` : 'no authorization-server metadata');
      continue;
    }
    const problem = await preflight(ctx, target.url, target.headers);
    if (problem) {
      ctx.report.fail(
        target.id,
        title,
        `${target.url}: ${problem}`,
        `answer OPTIONS with 2xx, Access-Control-Allow-Origin (or *) and Access-Control-Allow-Headers naming ${target.headers.join(', ')}; a proxy must pass OPTIONS through unauthenticated`,
      );
    } else ctx.report.pass(target.id, title);
  }
}

/** Sends a preflight; returns what is wrong with its answer, or undefined. */
async function preflight(ctx: DoctorContext, url: string, headers: string[]): Promise<string | undefined> {
  let answer;
  try {
    answer = await ctx.prober.send(url, {
      method: 'OPTIONS',
      headers: {
        ...baseHeaders(),
        origin: PREFLIGHT_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': headers.join(','),
      },
    });
  } catch (err) {
    return describeFailure(err);
  }
  if (answer.status < 200 || answer.status >= 300) return `the preflight got ${answer.status}`;
  const origin = answer.headers['access-control-allow-origin'];
  if (origin !== '*' && origin !== PREFLIGHT_ORIGIN) return `Access-Control-Allow-Origin is ${origin ?? 'missing'}`;
  const allowed = list(answer.headers['access-control-allow-headers']);
  // A wildcard never covers Authorization (Fetch standard): it must be named.
  const missing = headers.filter((h) => !allowed.includes(h) && !(allowed.includes('*') && h !== 'authorization'));
  if (missing.length) return `Access-Control-Allow-Headers lacks ${missing.join(', ')}`;
  return undefined;
}

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .toLowerCase()
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
