// Full OAuth flows per second on SQLite: dynamic registration, the authorization request with the
// user already signed in at Postern (consent page, confirm), and the code exchanged for tokens —
// four browsers in parallel against a Postern process of its own. Signing in itself is left out: its password hash (scrypt) is slow on
// purpose and happens once per browser session, not per flow; it is shown as the baseline.
// The rate is over the whole run from a fresh process; the second half of the same run is shown
// too, because the first seconds run JavaScript the engine has not optimized yet.
import { TestBrowser } from '../test/helpers/browser.js';
import { authorizeUrl, pkce, REDIRECT, redeem, register } from '../test/helpers/flow.js';
import { startPosternProcess } from './postern-process.js';
import { fmt, seconds, type Row } from './table.js';

export interface Target {
  issuer: string;
  mcpUrl: string;
  password: string;
}

/** One flow: register, authorize (signing in when the browser is not yet), token; returns the tokens. */
export async function flow(p: Target, browser: TestBrowser): Promise<Record<string, string>> {
  const { body: client } = await register(p.issuer);
  const { verifier, challenge } = pkce();
  let page = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, client.client_id, { code_challenge: challenge }), {}, REDIRECT);
  if (page.html.includes('name="password"')) page = await browser.submit(page, '/login', { username: 'admin', password: p.password }, REDIRECT);
  const done = page.url.startsWith(REDIRECT) ? page : await browser.submit(page, '/confirm', {}, REDIRECT);
  const code = new URL(done.url).searchParams.get('code');
  if (!code) throw new Error(`no code: ${done.url}`);
  const tokens = await redeem(p.issuer, client.client_id, code, verifier);
  if (tokens.status !== 200) throw new Error(`token: ${tokens.status}`);
  return tokens.body;
}

export async function flows(): Promise<Row[]> {
  // Every flow registers a client from this one address: lift the per-address registration limit.
  const postern = await startPosternProcess({ mcpServers: {}, auth: { registration: { rateLimit: { perAddress: 1_000_000 } } } });
  const password = /password: (\S+)/.exec(postern.stdout())?.[1];
  if (!password) throw new Error("the first user's password was not printed");
  const p: Target = { issuer: postern.base, mcpUrl: postern.mcpUrl, password };
  try {
    const browsers = [new TestBrowser(), new TestBrowser(), new TestBrowser(), new TestBrowser()];
    const signInStarted = performance.now();
    await Promise.all(browsers.map((b) => flow(p, b))); // signs each browser in once
    const signInMs = (performance.now() - signInStarted) / browsers.length;
    let count = 0;
    let secondHalf = 0;
    const started = performance.now();
    const half = started + (seconds * 1000) / 2;
    const until = started + seconds * 1000;
    await Promise.all(
      browsers.map(async (b) => {
        while (performance.now() < until) {
          await flow(p, b);
          count++;
          if (performance.now() > half) secondHalf++;
        }
      }),
    );
    const ended = performance.now();
    const perSecond = count / ((ended - started) / 1000);
    const steady = secondHalf / ((ended - half) / 1000);
    return [
      {
        measurement: 'OAuth flows per second (register → authorize → token), signed-in browsers',
        result: `${fmt(perSecond)} flows/s`,
        baseline: `first flow with sign-in: ${fmt(signInMs)} ms each`,
        ratio: '-',
        target: '≥ 300 /s',
        verdict: perSecond >= 300 ? 'meets' : 'falls short',
      },
      {
        measurement: 'OAuth flows per second, second half of the same run',
        result: `${fmt(steady)} flows/s`,
        baseline: `${fmt(perSecond)} flows/s over the whole run`,
        ratio: `${fmt(steady / perSecond, 2)}×`,
        target: '-',
        verdict: '-',
      },
    ];
  } finally {
    await postern.stop();
  }
}
