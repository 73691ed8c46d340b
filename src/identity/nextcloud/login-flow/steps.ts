// The sign-in steps of Nextcloud Login Flow v2: POST …/nextcloud starts a flow and shows the
// page that sends the user to Nextcloud; GET …/nextcloud-wait polls (the page reloads itself)
// until Nextcloud says the user granted access, then signs them in. Anyone may press the button,
// so both steps are bounded: starts are counted per client address (each holds one of the flows
// that may wait at once; past the limit the login page comes back with 429 and Retry-After, and
// Nextcloud is not asked), and a flow's waiting page asks Nextcloud at most POLLS_PER_FLOW times
// (reloads beyond that are answered from the store). A flow that ends signed in gives its start
// back: what counts are the flows left waiting or abandoned, so that people behind one address
// who sign in are not held back by the limit, while a flood, whose flows never end, is. The
// waiting page serves the "Connect Nextcloud" page of /account as well.
import { esc, page } from '../../../pages/html.js';
import { type RateLimiter, retryAfter } from '../../../store/rate-limits.js';
import { limitKey } from '../../../net/limit-key.js';
import type { SignInStep, StepContext } from '../../sign-in.js';
import type { Principal } from '../../types.js';

export type PollResult = { kind: 'pending'; login: string } | { kind: 'expired' } | { kind: 'ok'; principal: Principal };

/** The flow as its steps drive it (source.ts). */
export interface LoginFlow {
  /** Starts a flow for the interaction `uid`; returns the Nextcloud URL the user must open. */
  start(uid: string): Promise<string>;
  /** Asks Nextcloud once. */
  poll(uid: string): Promise<PollResult>;
  /** The flow as the store has it, Nextcloud not asked (never `ok`). */
  waiting(uid: string): Promise<PollResult>;
}

/**
 * How often one flow's waiting page may ask Nextcloud: 5 times in 10 s (the page reloads every
 * 3 s; a quicker "check now" click is answered from the store).
 */
export const POLLS_PER_FLOW = { points: 5, duration: 10 };

/** The counters: flows started per client address, and Nextcloud polls per flow (by the interaction). */
export interface FlowLimits {
  starts: RateLimiter;
  polls: RateLimiter;
}

const waitUrl = (uid: string) => `/interaction/${uid}/nextcloud-wait`;

async function showWaitPage(ctx: StepContext, loginUrl: string): Promise<void> {
  await ctx.page(200, waitPage({ loginUrl, waitUrl: waitUrl(ctx.uid), footer: `Signing in to ${await ctx.clientName()}` }));
}

export function loginFlowSteps(flow: LoginFlow, { starts, polls }: FlowLimits): SignInStep[] {
  return [
    {
      name: 'nextcloud',
      method: 'POST',
      async handle(ctx) {
        const wait = await retryAfter(starts, limitKey(ctx.address));
        if (wait > 0) {
          ctx.refused(`nextcloud-login-flow: too many sign-ins started from ${ctx.address}`);
          ctx.res.setHeader('retry-after', String(wait));
          await ctx.showLogin(`Too many Nextcloud sign-ins were started from your network address. Try again in ${Math.ceil(wait / 60)} minute(s).`, 429);
          return;
        }
        const started = await ctx.attempt(() => flow.start(ctx.uid));
        if (started) await showWaitPage(ctx, started.value);
      },
    },
    {
      name: 'nextcloud-wait',
      method: 'GET',
      async handle(ctx) {
        const askNextcloud = (await retryAfter(polls, ctx.uid)) === 0;
        const polled = await ctx.attempt(() => (askNextcloud ? flow.poll(ctx.uid) : flow.waiting(ctx.uid)));
        if (!polled) return;
        const result = polled.value;
        if (result.kind === 'expired') await ctx.showLogin('The Nextcloud sign-in expired. Start it again.', 400);
        else if (result.kind === 'pending') await showWaitPage(ctx, result.login);
        else {
          await starts.reward(limitKey(ctx.address)).catch(() => undefined);
          await ctx.signedIn(result.principal, 'nextcloud-login-flow');
        }
      },
    },
  ];
}

/** The page that sends the user to Nextcloud's `loginUrl` and reloads itself from `waitUrl` (no JavaScript) until they granted access. */
export function waitPage(v: { loginUrl: string; waitUrl: string; footer: string }): string {
  return page(
    'Continue in Nextcloud',
    `<h1>Continue in Nextcloud</h1>
<p>Open Nextcloud, sign in there and grant access to <strong>Postern</strong>. This page moves on by
itself once you have.</p>
<div class="actions"><a class="button" href="${esc(v.loginUrl)}" target="_blank" rel="noopener noreferrer">Open Nextcloud</a></div>
<p class="muted">Waiting for Nextcloud… <a href="${esc(v.waitUrl)}">check now</a></p>
<footer>${esc(v.footer)}</footer>`,
    `<meta http-equiv="refresh" content="3;url=${esc(v.waitUrl)}">`,
  );
}
