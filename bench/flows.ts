// Full OAuth flows per second on SQLite, Postern against the peer authorization server people
// use for MCP (better-auth with its MCP plugin, bench/peer-auth.ts), each a process of its own:
// dynamic registration, the authorization request with the user already signed in (consent),
// and the code exchanged for tokens (bench/oauth-flow.ts), four browsers in parallel. Signing in
// itself is left out: its password hash is slow on purpose and happens once per browser session,
// not per flow; Postern's is shown as the baseline of the sign-in row. After a warm-up slice each
// (the first seconds of a process run JavaScript the engine has not optimized yet) the two take
// turns for ROUNDS rounds, so that a change of load on the machine falls on both; each server's
// CPU time per flow is read from /proc over its turns.
import { TestBrowser } from '../test/helpers/browser.js';
import { REDIRECT } from '../test/helpers/flow.js';
import { flowSlice, oauthFlow, type AuthorizationServer, type FlowSlice } from './oauth-flow.js';
import { PEER_VERSION, startPeerAuthServer } from './peer-auth.js';
import { MANY_FLOWS_AUTH, startPosternProcess, type PosternProcess } from './postern-process.js';
import { fmt, seconds, type Row } from './table.js';

const ROUNDS = 3;
const BROWSERS = 4;

export interface Target {
  issuer: string;
  mcpUrl: string;
  password: string;
}

/** Postern as the flow sees it: its consent page (signing in first when the browser is not yet). */
export function postern(p: Target, cpuMs: () => number = () => 0): AuthorizationServer {
  return {
    issuer: p.issuer,
    resource: p.mcpUrl,
    async consent(browser, page) {
      const signedIn = page.html.includes('name="password"')
        ? await browser.submit(page, '/login', { username: 'admin', password: p.password }, REDIRECT)
        : page;
      return signedIn.url.startsWith(REDIRECT) ? signedIn : browser.submit(signedIn, '/confirm', {}, REDIRECT);
    },
    cpuMs,
  };
}

/** The target of a Postern process: its issuer and the first user's password, which it printed. */
export function targetOf(p: PosternProcess): Target {
  const password = /password: (\S+)/.exec(p.stdout())?.[1];
  if (!password) throw new Error("the first user's password was not printed");
  return { issuer: p.base, mcpUrl: p.mcpUrl, password };
}

/** One flow against Postern: register, authorize (signing in when the browser is not yet), token; returns the tokens. */
export function flow(p: Target, browser: TestBrowser): Promise<Record<string, string>> {
  return oauthFlow(postern(p), browser);
}

const browsers = () => Array.from({ length: BROWSERS }, () => new TestBrowser());
const sum = (slices: FlowSlice[]) =>
  slices.reduce((a, s) => ({ flows: a.flows + s.flows, ms: a.ms + s.ms, cpuMs: a.cpuMs + s.cpuMs }), { flows: 0, ms: 0, cpuMs: 0 });
const rate = (s: FlowSlice) => s.flows / (s.ms / 1000);

export async function flows(): Promise<Row[]> {
  // Every flow registers a client and asks for authorization from this one address: the per-address limits lifted.
  const ourProcess = await startPosternProcess({ mcpServers: {}, auth: MANY_FLOWS_AUTH });
  const peer = await startPeerAuthServer().catch(async (error) => {
    await ourProcess.stop();
    throw error;
  });
  try {
    const ours = postern(targetOf(ourProcess), ourProcess.cpuMs);
    const ourBrowsers = browsers();
    const peerBrowsers = browsers();
    const signInStarted = performance.now();
    await Promise.all(ourBrowsers.map((b) => oauthFlow(ours, b))); // signs each browser in once
    const signInMs = (performance.now() - signInStarted) / BROWSERS;
    await Promise.all(peerBrowsers.map((b) => peer.signIn(b)));
    const turn = (seconds * 1000) / 2;
    await flowSlice(ours, ourBrowsers, turn / 2);
    await flowSlice(peer, peerBrowsers, turn / 2);
    const slices: Record<'postern' | 'peer', FlowSlice[]> = { postern: [], peer: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? (['peer', 'postern'] as const) : (['postern', 'peer'] as const);
      for (const name of order) {
        slices[name].push(await flowSlice(name === 'postern' ? ours : peer, name === 'postern' ? ourBrowsers : peerBrowsers, turn));
      }
    }
    const ourTotal = sum(slices.postern);
    const peerTotal = sum(slices.peer);
    const perSecond = rate(ourTotal);
    const peerPerSecond = rate(peerTotal);
    const ratio = perSecond / peerPerSecond;
    const roundRatios = slices.postern.map((s, i) => rate(s) / rate(slices.peer[i]));
    const ourCpu = ourTotal.cpuMs / ourTotal.flows;
    const peerCpu = peerTotal.cpuMs / peerTotal.flows;
    const peerName = `better-auth ${PEER_VERSION} (MCP plugin)`;
    return [
      {
        measurement: `OAuth flows per second on SQLite (register → authorize → token), ${BROWSERS} signed-in browsers: Postern vs ${peerName}`,
        result: `${fmt(perSecond)} flows/s`,
        baseline: `${fmt(peerPerSecond)} flows/s ${peerName}`,
        ratio: `${fmt(ratio, 2)}× (rounds ${roundRatios.map((r) => `${fmt(r, 2)}×`).join(', ')})`,
        target: '≥ 300 /s, and ≥ 2× the peer',
        verdict: perSecond >= 300 && ratio >= 2 ? 'meets' : 'falls short',
      },
      {
        measurement: `Server CPU time per OAuth flow: Postern vs ${peerName}`,
        result: `${fmt(ourCpu, 2)} ms`,
        baseline: `${fmt(peerCpu, 2)} ms ${peerName}`,
        ratio: `${fmt(ourCpu / peerCpu, 2)}×`,
        target: '≤ 0.50×',
        verdict: ourCpu / peerCpu <= 0.5 ? 'meets' : 'falls short',
      },
      {
        measurement: 'OAuth flow with sign-in (Postern, first flow of each browser)',
        result: `${fmt(signInMs)} ms each`,
        baseline: `${fmt(1000 / perSecond, 1)} ms each signed in (wall time per flow, ${BROWSERS} in parallel)`,
        ratio: '-',
        target: '-',
        verdict: '-',
      },
    ];
  } finally {
    await peer.stop();
    await ourProcess.stop();
  }
}
