// Where a flow's server CPU goes, step by step: `node --import tsx bench/flow-steps.ts [flows]`
// (not part of `npm run bench`; a tool for looking into bench/flows.ts). One signed-in browser
// runs flows one after the other against a Postern process, or against the peer authorization
// server with `FLOW_STEPS_PEER=1`, and the server process's CPU time (/proc) is read after each
// step of bench/oauth-flow.ts: registration, the authorization request up to the consent page,
// the consent step up to the redirect to the client, the token request. With one request in
// flight at a time, the CPU the process used during a step is that step's. Prints the CPU time
// per flow of each step and the client's own, which does the same work whatever the server does
// and so shows how loaded the machine was.
import { loadavg } from 'node:os';
import { TestBrowser } from '../test/helpers/browser.js';
import { postern, targetOf } from './flows.js';
import { oauthFlow, STEPS, type AuthorizationServer, type Step } from './oauth-flow.js';
import { startPeerAuthServer } from './peer-auth.js';
import { MANY_FLOWS_AUTH, startPosternProcess } from './postern-process.js';

const FLOWS = Math.min(100_000, Math.max(1, Number(process.argv[2] ?? 600)));
const WARM_UP = 300;

async function start(): Promise<{ server: AuthorizationServer; browser: TestBrowser; stop(): Promise<void> }> {
  const browser = new TestBrowser();
  if (process.env.FLOW_STEPS_PEER) {
    const peer = await startPeerAuthServer();
    await peer.signIn(browser);
    return { server: peer, browser, stop: () => peer.stop() };
  }
  const p = await startPosternProcess({ mcpServers: {}, auth: MANY_FLOWS_AUTH });
  return { server: postern(targetOf(p), p.cpuMs), browser, stop: () => p.stop() };
}

const { server, browser, stop } = await start();
try {
  for (let i = 0; i < WARM_UP; i++) await oauthFlow(server, browser);
  const spent = Object.fromEntries(STEPS.map((s) => [s, 0])) as Record<Step, number>;
  const client = process.cpuUsage();
  for (let i = 0; i < FLOWS; i++) {
    let last = server.cpuMs();
    await oauthFlow(server, browser, (step) => {
      const now = server.cpuMs();
      spent[step] += now - last;
      last = now;
    });
  }
  const used = process.cpuUsage(client);
  const perFlow = (ms: number) => `${((ms * 1000) / FLOWS).toFixed(0)} µs`;
  for (const step of STEPS) console.log(`${step.padEnd(10)} ${perFlow(spent[step])}`);
  console.log(`${'server'.padEnd(10)} ${perFlow(Object.values(spent).reduce((a, b) => a + b, 0))}`);
  console.log(`${'client'.padEnd(10)} ${perFlow((used.user + used.system) / 1000)} (this process)`);
  const load = loadavg().map((l) => l.toFixed(1));
  console.log(`${FLOWS} flows after ${WARM_UP} to warm up; load average ${load.join(', ')}`);
} finally {
  await stop();
}
