// Nextcloud Login Flow v2 as a way to sign in: Postern asks Nextcloud for a login flow, the user
// signs in and grants access on Nextcloud's own page, and Postern polls until Nextcloud hands
// over a per-user app password (which the user can see and revoke in Nextcloud's security
// settings). The app password becomes the user's Nextcloud link (links.ts), kept only sealed
// (AES-256-GCM) for the tools acting for that user; it replaces, and deletes at Nextcloud, the
// one an earlier sign-in left. Starts are limited per client address and Nextcloud polls per flow
// (steps.ts), with counters where the store keeps them, so that replicas count together.
import type { AccountStore, Store } from '../../../store/types.js';
import type { Sealer } from '../../sealed.js';
import { findRememberedAccount, rememberAccount } from '../../accounts.js';
import { signInButton, type InteractiveSource, type SignInStep } from '../../sign-in.js';
import { IdentityError, type Principal } from '../../types.js';
import type { NextcloudLinks } from '../links.js';
import { fetchNextcloudUser, NEXTCLOUD_PREFIX } from '../ocs.js';
import type { NextcloudConfig } from '../schema.js';
import { type FlowStore, LoginFlowClient } from './client.js';
import { loginFlowSteps, type LoginFlow, type PollResult, POLLS_PER_FLOW } from './steps.js';

export { NEXTCLOUD_CREDENTIAL } from '../links.js';

export class NextcloudLoginFlow implements InteractiveSource, LoginFlow {
  readonly id = 'nextcloud-login-flow';
  readonly steps: SignInStep[];
  private readonly flows: LoginFlowClient;

  constructor(
    private readonly config: NextcloudConfig,
    private readonly groupRoles: Record<string, string[]>,
    private readonly store: AccountStore & FlowStore & Pick<Store, 'rateLimiter'>,
    private readonly links: NextcloudLinks,
    sealer: Sealer,
  ) {
    this.flows = new LoginFlowClient(config, { store, sealer, scope: 'sign-in' });
    const { perAddress, windowSeconds } = config.loginFlowRateLimit;
    this.steps = loginFlowSteps(this, {
      starts: store.rateLimiter({ keyPrefix: 'nextcloud-login-flow', points: perAddress, duration: windowSeconds }),
      polls: store.rateLimiter({ keyPrefix: 'nextcloud-login-flow-poll', ...POLLS_PER_FLOW }),
    });
  }

  loginButtons(base: string, csrf: string): string[] {
    return [signInButton(`${base}/nextcloud`, csrf, 'Sign in with Nextcloud')];
  }

  /** Starts a flow for the interaction `uid`; returns the Nextcloud URL the user must open. */
  start(uid: string): Promise<string> {
    return this.flows.start(uid);
  }

  /** The flow as the store has it, Nextcloud not asked: still waiting, or expired. */
  waiting(uid: string): Promise<PollResult> {
    return this.flows.waiting(uid);
  }

  /** One poll: still waiting, expired, or signed in (the link stored). */
  async poll(uid: string): Promise<PollResult> {
    const result = await this.flows.poll(uid);
    if (result.kind !== 'granted') return result;
    const principal = await fetchNextcloudUser(this.config.url, result.loginName, result.appPassword, {
      timeoutMs: this.config.timeoutMs,
      groupRoles: this.groupRoles,
    });
    if (!principal) throw new IdentityError('Nextcloud did not accept the app password it just issued');
    await rememberAccount(this.store, principal);
    await this.links.put(principal.subject, { loginName: result.loginName, appPassword: result.appPassword });
    return { kind: 'ok', principal };
  }

  async findAccount(subject: string): Promise<Principal | undefined> {
    return findRememberedAccount(this.store, NEXTCLOUD_PREFIX, subject);
  }
}
