// The OAuth flow the flows benchmarks drive, for any authorization server: register a public client
// dynamically, send the signed-in browser to the authorization endpoint with PKCE S256, let the
// server's consent step run (`AuthorizationServer.consent`: Postern's page and form, or the
// peer's page and its consent call), and exchange the code for tokens. Also the timed loops that
// run flows from several browsers, with the server process's CPU time over them.
import type { Page, TestBrowser } from '../test/helpers/browser.js';
import { authorizeUrl, pkce, REDIRECT, redeem, register } from '../test/helpers/flow.js';

export interface AuthorizationServer {
  /** Where `/register`, `/authorize` and `/token` are. */
  issuer: string;
  /** The resource the tokens are for (the `resource` parameter). */
  resource: string;
  /** Further authorization request parameters (scope, prompt). */
  params?: Record<string, string>;
  /** From the page the authorization request ended on to the redirect to the client (`REDIRECT`). */
  consent(browser: TestBrowser, page: Page): Promise<Page>;
  /** CPU time (user + system) the server's process has used so far, in milliseconds. */
  cpuMs(): number;
}

/** The steps of a flow, in order: `oauthFlow` calls its `done` callback after each. */
export const STEPS = ['register', 'authorize', 'consent', 'token'] as const;
export type Step = (typeof STEPS)[number];

/** One flow: register, authorize (consent), token; returns the token response. */
export async function oauthFlow(server: AuthorizationServer, browser: TestBrowser, done: (step: Step) => void = () => {}): Promise<Record<string, string>> {
  const { body: client } = await register(server.issuer);
  if (typeof client.client_id !== 'string') throw new Error(`register: ${JSON.stringify(client)}`);
  done('register');
  const { verifier, challenge } = pkce();
  const url = authorizeUrl(server.issuer, server.resource, client.client_id, { code_challenge: challenge, ...server.params });
  const page = await browser.go(url, {}, REDIRECT);
  done('authorize');
  const back = page.url.startsWith(REDIRECT) ? page : await server.consent(browser, page);
  const code = new URL(back.url).searchParams.get('code');
  if (!code) throw new Error(`no code: ${back.url} ${back.html.slice(0, 500)}`);
  done('consent');
  const tokens = await redeem(server.issuer, client.client_id, code, verifier);
  if (tokens.status !== 200 || !tokens.body.access_token) throw new Error(`token: ${tokens.status} ${JSON.stringify(tokens.body)}`);
  done('token');
  return tokens.body;
}

/** Runs `op` from `workers` loops until `ms` have passed; returns how many completed and the wall time. */
export async function loopFor(workers: number, ms: number, op: (worker: number) => Promise<unknown>): Promise<{ count: number; ms: number }> {
  let count = 0;
  const started = performance.now();
  const until = started + ms;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (performance.now() < until) {
        await op(w);
        count++;
      }
    }),
  );
  return { count, ms: performance.now() - started };
}

export interface FlowSlice {
  flows: number;
  ms: number;
  /** The server process's CPU time over the slice. */
  cpuMs: number;
}

/** Flows from every browser (each signed in already) for `ms`, with the server's CPU time over them. */
export async function flowSlice(server: AuthorizationServer, browsers: TestBrowser[], ms: number): Promise<FlowSlice> {
  const cpu = server.cpuMs();
  const { count, ms: took } = await loopFor(browsers.length, ms, (w) => oauthFlow(server, browsers[w]));
  return { flows: count, ms: took, cpuMs: server.cpuMs() - cpu };
}
