// The streaming check: MCP answers with server-sent events, and a proxy that buffers them holds a
// stream back until it ends, so long calls and notifications never arrive. The doctor opens a
// stream the server keeps open and sends into at once — a 2026-07-28 subscriptions/listen (its
// acknowledgement comes first) or, for a 2025-era server, the session's GET stream — and checks
// that its first piece arrives while the stream is still open.
import { baseHeaders, type DoctorContext } from './context.js';
import { INITIALIZE, MCP_POST_HEADERS } from './discovery.js';
import { describeFailure, type Watched } from './http.js';

const TITLE = 'streamed answers arrive in pieces (no buffering proxy)';
const MODERN = '2026-07-28';
const LEGACY = '2025-11-25';
const FIX =
  'turn response buffering off for the MCP URL: nginx "proxy_buffering off;", Caddy "flush_interval -1" and no response_buffers, a CDN must not buffer text/event-stream';

type Verdict = { pass: string } | { fail: string } | { unknown: string };

export async function streamCheck(ctx: DoctorContext): Promise<void> {
  const needsToken = ctx.challenge?.status === 401;
  if (needsToken && !ctx.options.token) {
    ctx.report.skip('stream', TITLE, 'needs an MCP session: give --token TOKEN (a bearer token the server accepts, e.g. a Postern static token)');
    return;
  }
  const auth: Record<string, string> = ctx.options.token ? { authorization: `Bearer ${ctx.options.token}` } : {};
  try {
    let verdict = await modernStream(ctx, auth);
    if ('unknown' in verdict) {
      const legacy = await legacyStream(ctx, auth);
      verdict = 'unknown' in legacy ? { unknown: `${verdict.unknown}; ${legacy.unknown}` } : legacy;
    }
    if ('pass' in verdict) ctx.report.pass('stream', TITLE, verdict.pass);
    else if ('fail' in verdict) ctx.report.fail('stream', TITLE, verdict.fail, FIX);
    else ctx.report.skip('stream', TITLE, `could not tell: ${verdict.unknown}`);
  } catch (err) {
    ctx.report.skip('stream', TITLE, `could not open a stream: ${describeFailure(err)}`);
  }
}

/** What a watched stream says about buffering. */
function judge(watched: Watched | undefined, waitS: number, what: string): Verdict {
  if (!watched) return { fail: `${what}: no answer within ${waitS} s although the server answers at once; something holds the stream back` };
  if (watched.status === 401 || watched.status === 403) return { unknown: `${what}: the token was refused (${watched.status})` };
  if (!(watched.headers['content-type'] ?? '').includes('text/event-stream')) return { unknown: `${what}: answered ${watched.status} without a stream` };
  if (watched.pieces.length === 0) {
    return watched.ended
      ? { unknown: `${what}: the stream was empty` }
      : { fail: `${what}: headers came, but no event within ${waitS} s; a proxy buffers the body` };
  }
  if (watched.ended) return { unknown: `${what}: the server ended the stream at once` };
  return { pass: `${what}: first event after ${watched.pieces[0]} ms, stream still open` };
}

async function modernStream(ctx: DoctorContext, auth: Record<string, string>): Promise<Verdict> {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 'doctor-listen',
    method: 'subscriptions/listen',
    params: {
      notifications: { toolsListChanged: true, resourcesListChanged: true, promptsListChanged: true },
      _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} },
    },
  });
  const watched = await ctx.prober.watch(
    ctx.url.toString(),
    {
      method: 'POST',
      headers: { ...baseHeaders(), ...MCP_POST_HEADERS, ...auth, 'mcp-protocol-version': MODERN, 'mcp-method': 'subscriptions/listen' },
      body,
    },
    ctx.options.timeoutMs,
  );
  return judge(watched, ctx.options.timeoutMs / 1000, `${MODERN} subscriptions/listen`);
}

async function legacyStream(ctx: DoctorContext, auth: Record<string, string>): Promise<Verdict> {
  const url = ctx.url.toString();
  const headers = { ...baseHeaders(), ...MCP_POST_HEADERS, ...auth };
  const init = await ctx.prober.send(url, { method: 'POST', headers, body: INITIALIZE });
  const session = init.headers['mcp-session-id'];
  if (init.status !== 200) return { unknown: `${LEGACY} initialize answered ${init.status}` };
  const sessionHeaders: Record<string, string> = { ...(session ? { 'mcp-session-id': session } : {}), 'mcp-protocol-version': LEGACY };
  try {
    await ctx.prober.send(url, {
      method: 'POST',
      headers: { ...headers, ...sessionHeaders },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    const watched = await ctx.prober.watch(
      url,
      { headers: { ...baseHeaders(), ...auth, ...sessionHeaders, accept: 'text/event-stream' } },
      ctx.options.timeoutMs,
    );
    if (watched?.status === 405) return { unknown: `the ${LEGACY} session offers no GET stream` };
    if (watched && watched.pieces.length === 0 && !watched.ended) {
      // Headers alone came through; the server may simply have had nothing to send yet.
      return { unknown: `the ${LEGACY} GET stream opened, but the server sent nothing within ${ctx.options.timeoutMs / 1000} s` };
    }
    return judge(watched, ctx.options.timeoutMs / 1000, `${LEGACY} GET stream`);
  } finally {
    if (session) await ctx.prober.send(url, { method: 'DELETE', headers: { ...baseHeaders(), ...auth, ...sessionHeaders } }).catch(() => undefined);
  }
}
