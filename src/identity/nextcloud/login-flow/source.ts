// Nextcloud Login Flow v2: Postern asks Nextcloud for a login flow (POST /index.php/login/v2),
// the user signs in and grants access on Nextcloud's own page, and Postern polls until Nextcloud
// hands over a per-user app password (which the user can see and revoke in Nextcloud's security
// settings). The password is kept only sealed (AES-256-GCM) for backends acting for that user.
import type { AccountStore } from '../../../store/types.js';
import { findRememberedAccount, rememberAccount } from '../../accounts.js';
import { UpstreamCredentials } from '../../credentials.js';
import { fetchNextcloudUser, NEXTCLOUD_PREFIX } from '../ocs.js';
import type { NextcloudConfig } from '../schema.js';
import type { Sealer } from '../../sealed.js';
import { signInButton, type InteractiveSource } from '../../sign-in.js';
import { IdentityError, type Principal } from '../../types.js';
import { loginFlowSteps, type LoginFlow, type PollResult } from './steps.js';

const FLOW_LIFETIME_MS = 20 * 60_000; // Nextcloud's own limit for a login flow
import { NEXTCLOUD_CREDENTIAL } from '../links.js';
export { NEXTCLOUD_CREDENTIAL };

interface Pending {
  token: string;
  endpoint: string;
  login: string;
  startedAt: number;
}

export class NextcloudLoginFlow implements InteractiveSource, LoginFlow {
  readonly id = 'nextcloud-login-flow';
  readonly steps = loginFlowSteps(this);
  private readonly pending = new Map<string, Pending>();
  private readonly credentials: UpstreamCredentials;

  constructor(
    private readonly config: NextcloudConfig,
    private readonly groupRoles: Record<string, string[]>,
    private readonly store: AccountStore,
    sealer: Sealer,
  ) {
    this.credentials = new UpstreamCredentials(store, sealer);
  }

  loginButtons(base: string, csrf: string): string[] {
    return [signInButton(`${base}/nextcloud`, csrf, 'Sign in with Nextcloud')];
  }

  private async call(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(this.config.timeoutMs) });
    } catch (err) {
      throw new IdentityError(`Nextcloud at ${this.config.url} did not answer (${(err as Error).message})`);
    }
  }

  /** Starts a flow for the interaction `uid`; returns the Nextcloud URL the user must open. */
  async start(uid: string): Promise<string> {
    const res = await this.call(`${this.config.url}/index.php/login/v2`, {
      method: 'POST',
      headers: { 'user-agent': 'Postern MCP gateway', accept: 'application/json' },
    });
    const body = (await res.json().catch(() => undefined)) as { poll?: { token?: string; endpoint?: string }; login?: string } | undefined;
    if (res.status !== 200 || !body?.poll?.token || !body.poll.endpoint || !body.login) {
      throw new IdentityError(`Nextcloud answered ${res.status} to the login flow request; check identity.nextcloud.url`);
    }
    this.sweep();
    this.pending.set(uid, { token: body.poll.token, endpoint: body.poll.endpoint, login: body.login, startedAt: Date.now() });
    return body.login;
  }

  /** One poll: still waiting, expired, or signed in (credential sealed and stored). */
  async poll(uid: string): Promise<PollResult> {
    const flow = this.pending.get(uid);
    if (!flow || Date.now() - flow.startedAt > FLOW_LIFETIME_MS) {
      this.pending.delete(uid);
      return { kind: 'expired' };
    }
    const res = await this.call(flow.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: flow.token }).toString(),
    });
    if (res.status === 404) {
      await res.body?.cancel();
      return { kind: 'pending', login: flow.login };
    }
    const body = (await res.json().catch(() => undefined)) as { loginName?: string; appPassword?: string } | undefined;
    if (res.status !== 200 || !body?.loginName || !body.appPassword) {
      throw new IdentityError(`Nextcloud answered ${res.status} while polling the login flow`);
    }
    this.pending.delete(uid);
    const principal = await fetchNextcloudUser(this.config.url, body.loginName, body.appPassword, {
      timeoutMs: this.config.timeoutMs,
      groupRoles: this.groupRoles,
    });
    if (!principal) throw new IdentityError('Nextcloud did not accept the app password it just issued');
    await rememberAccount(this.store, principal);
    await this.credentials.put(principal.subject, NEXTCLOUD_CREDENTIAL, JSON.stringify({ loginName: body.loginName, appPassword: body.appPassword }));
    return { kind: 'ok', principal };
  }

  /** The user's Nextcloud credential for backends acting on their behalf. */
  async credential(subject: string): Promise<{ loginName: string; appPassword: string } | undefined> {
    const credential = await this.credentials.get(subject, NEXTCLOUD_CREDENTIAL);
    return credential ? JSON.parse(credential) : undefined;
  }

  async findAccount(subject: string): Promise<Principal | undefined> {
    return findRememberedAccount(this.store, NEXTCLOUD_PREFIX, subject);
  }

  private sweep(): void {
    const cutoff = Date.now() - FLOW_LIFETIME_MS;
    for (const [uid, f] of this.pending) if (f.startedAt < cutoff) this.pending.delete(uid);
  }
}
