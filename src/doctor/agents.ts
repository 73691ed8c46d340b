// User-agent checks: Claude.ai and ChatGPT call from their servers with their own user agents; a
// CDN or firewall bot rule that blocks those answers them differently from a plain client. The
// MCP URL's first request and the protected-resource metadata are asked for with each agent.
import { baseHeaders, DOCTOR_AGENT, type DoctorContext } from './context.js';
import { INITIALIZE, MCP_POST_HEADERS, PRM_WELL_KNOWN } from './discovery.js';
import { describeFailure, type SendInit } from './http.js';

/** User agents as the two services send them. */
export const AGENTS = [
  {
    id: 'agent-claude',
    name: 'Claude-User',
    agent: 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Claude-User/1.0; +Claude-User@anthropic.com)',
  },
  {
    id: 'agent-chatgpt',
    name: 'ChatGPT-User',
    agent: 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; +https://openai.com/bot',
  },
];

export async function agentChecks(ctx: DoctorContext): Promise<void> {
  const path = ctx.url.pathname.replace(/\/$/, '');
  const probes: Array<{ url: string; init: (agent: string) => SendInit }> = [
    { url: ctx.url.toString(), init: (agent) => ({ method: 'POST', headers: { ...baseHeaders(agent), ...MCP_POST_HEADERS }, body: INITIALIZE }) },
    { url: `${ctx.url.origin}${PRM_WELL_KNOWN}${path}`, init: (agent) => ({ headers: baseHeaders(agent) }) },
  ];
  const answers = async (agent: string) => Promise.all(probes.map((p) => signature(ctx, p.url, p.init(agent))));
  const plain = await answers(DOCTOR_AGENT);
  for (const { id, name, agent } of AGENTS) {
    const title = `a ${name} user agent gets the same answer as a plain client`;
    const got = await answers(agent);
    const differ = probes.map((p, i) => ({ url: p.url, plain: plain[i], got: got[i] })).filter((d) => d.plain !== d.got);
    if (differ.length === 0) ctx.report.pass(id, title);
    else {
      ctx.report.fail(
        id,
        title,
        differ.map((d) => `${d.url}: ${d.got} instead of ${d.plain}`).join('; '),
        `a CDN or firewall treats ${name} as a bot: allow it for this host (Cloudflare: Security → Bots, or a WAF skip rule for the user agent)`,
      );
    }
  }
}

/** What matters of an answer for the comparison: its status and the kind of body. */
async function signature(ctx: DoctorContext, url: string, init: SendInit): Promise<string> {
  try {
    const answer = await ctx.prober.send(url, init, 64 * 1024);
    const type = (answer.headers['content-type'] ?? 'none').split(';')[0].trim();
    return `${answer.status} ${type}`;
  } catch (err) {
    return `no answer (${describeFailure(err)})`;
  }
}
