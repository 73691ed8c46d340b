// The sign-in steps of the upstream OpenID providers, one "Sign in with <label>" button each:
// POST …/oidc sends the browser to the chosen upstream; its redirect back lands on OIDC_CALLBACK
// (outside the interaction's cookie path), which sends it on to GET …/oidc-done, where the
// upstream's answer is checked and the user signed in.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { signInButton, type InteractiveSource, type SignInRoute, type SignInStep, type StepContext } from '../sign-in.js';
import { IdentityError, type Principal } from '../types.js';
import type { OidcUpstream } from './upstream.js';

/** Where upstream OpenID providers send the browser back to (register it there). */
export const OIDC_CALLBACK = '/oidc/callback';

const queryOf = (req: IncomingMessage) => new URL(req.url ?? '/', 'http://x').searchParams;

export class OidcSignIn implements InteractiveSource {
  readonly id = 'oidc';
  readonly formTargets: string[];
  readonly steps: SignInStep[] = [
    { name: 'oidc', method: 'POST', handle: (ctx) => this.start(ctx) },
    { name: 'oidc-done', method: 'GET', handle: (ctx) => this.done(ctx) },
  ];
  readonly routes: SignInRoute[] = [{ path: OIDC_CALLBACK, handle: (req, res, fail) => this.callback(req, res, fail) }];

  constructor(private readonly upstreams: OidcUpstream[]) {
    this.formTargets = upstreams.map((u) => new URL(u.config.issuer).origin);
  }

  loginButtons(base: string, csrf: string): string[] {
    return this.upstreams.map((u) => signInButton(`${base}/oidc`, csrf, `Sign in with ${u.config.label}`, { provider: u.config.id }));
  }

  async findAccount(subject: string): Promise<Principal | undefined> {
    for (const upstream of this.upstreams) {
      const principal = await upstream.findAccount(subject);
      if (principal) return principal;
    }
    return undefined;
  }

  private async start(ctx: StepContext): Promise<void> {
    const upstream = this.upstreams.find((u) => u.config.id === ctx.form?.get('provider'));
    if (!upstream) return ctx.fail(400, 'Bad request', 'Unknown sign-in provider.');
    const started = await ctx.attempt(() => upstream.start(ctx.uid));
    if (!started) return;
    ctx.res.writeHead(303, { location: started.value, 'cache-control': 'no-store' });
    ctx.res.end();
  }

  /** The upstream's redirect lands outside the interaction's cookie path; send it on there. */
  private callback(req: IncomingMessage, res: ServerResponse, fail: StepContext['fail']): void {
    const query = queryOf(req);
    const uid = this.upstreams.map((u) => u.interactionOf(query.get('state'))).find(Boolean);
    if (!uid) return fail(400, 'Sign-in expired', 'This sign-in is unknown or expired.', 'Start again from your app.');
    res.writeHead(303, { location: `/interaction/${uid}/oidc-done?${query}`, 'cache-control': 'no-store' });
    res.end();
  }

  private async done(ctx: StepContext): Promise<void> {
    const query = queryOf(ctx.req);
    const upstream = this.upstreams.find((u) => u.interactionOf(query.get('state')) === ctx.uid);
    if (!upstream) return ctx.fail(400, 'Sign-in expired', 'This sign-in is unknown or expired.', 'Start again from your app.');
    try {
      await ctx.signedIn(await upstream.finish(ctx.uid, query), upstream.id);
    } catch (err) {
      if (!(err instanceof IdentityError)) throw err;
      ctx.refused(`${upstream.id}: ${err.message}`);
      await ctx.showLogin(err.message, 401);
    }
  }
}
