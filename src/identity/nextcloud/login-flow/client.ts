// Nextcloud Login Flow v2 from Postern's side, for whoever drives it (the sign-in steps, the
// "Connect Nextcloud" page): start a flow under a key (POST /index.php/login/v2) and poll it until
// Nextcloud hands over the login name and a new app password, which the user granted on
// Nextcloud's own page. Flows last Nextcloud's 20 minutes; at most MAX_PENDING wait at once.
import { IdentityError } from '../../types.js';
import { deleteAppPassword, POSTERN_DEVICE_NAME } from '../app-passwords.js';

const FLOW_LIFETIME_MS = 20 * 60_000; // Nextcloud's own limit for a login flow
const MAX_PENDING = 10_000;

export type FlowPoll = { kind: 'pending'; login: string } | { kind: 'expired' } | { kind: 'granted'; loginName: string; appPassword: string };

interface Pending {
  token: string;
  endpoint: string;
  login: string;
  startedAt: number;
}

export class LoginFlowClient {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly config: { url: string; timeoutMs: number }) {}

  private async call(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(this.config.timeoutMs) });
    } catch (err) {
      throw new IdentityError(`Nextcloud at ${this.config.url} did not answer (${(err as Error).message})`);
    }
  }

  /**
   * Starts a flow under `key`, replacing one it had from this moment on (a poll of the old one
   * still on its way then counts as expired); returns the Nextcloud URL the user must open.
   */
  async start(key: string): Promise<string> {
    this.pending.delete(key);
    const res = await this.call(`${this.config.url}/index.php/login/v2`, {
      method: 'POST',
      headers: { 'user-agent': POSTERN_DEVICE_NAME, accept: 'application/json' },
    });
    const body = (await res.json().catch(() => undefined)) as { poll?: { token?: string; endpoint?: string }; login?: string } | undefined;
    if (res.status !== 200 || !body?.poll?.token || !body.poll.endpoint || !body.login) {
      throw new IdentityError(`Nextcloud answered ${res.status} to the login flow request; check identity.nextcloud.url`);
    }
    this.sweep();
    this.pending.delete(key);
    this.pending.set(key, { token: body.poll.token, endpoint: body.poll.endpoint, login: body.login, startedAt: Date.now() });
    return body.login;
  }

  /**
   * One poll of the flow under `key`: still waiting, expired (or never started), or granted (then
   * forgotten). A flow forgotten or replaced while its poll was on its way (the user unlinked or
   * started over) counts as expired: what Nextcloud granted for it is deleted there, never handed out.
   */
  async poll(key: string): Promise<FlowPoll> {
    const flow = this.pending.get(key);
    if (!flow || Date.now() - flow.startedAt > FLOW_LIFETIME_MS) {
      this.pending.delete(key);
      return { kind: 'expired' };
    }
    const res = await this.call(flow.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: flow.token }).toString(),
    });
    const current = this.pending.get(key) === flow;
    if (res.status === 404) {
      await res.body?.cancel();
      return current ? { kind: 'pending', login: flow.login } : { kind: 'expired' };
    }
    const body = (await res.json().catch(() => undefined)) as { loginName?: string; appPassword?: string } | undefined;
    if (res.status !== 200 || !body?.loginName || !body.appPassword) {
      throw new IdentityError(`Nextcloud answered ${res.status} while polling the login flow`);
    }
    if (!current) {
      await deleteAppPassword(this.config.url, body.loginName, body.appPassword, this.config.timeoutMs).catch(() => false);
      return { kind: 'expired' };
    }
    this.pending.delete(key);
    return { kind: 'granted', loginName: body.loginName, appPassword: body.appPassword };
  }

  /** Forgets a flow (the user went another way). */
  forget(key: string): void {
    this.pending.delete(key);
  }

  /** Drops expired flows and, past the cap, the oldest (insertion order). */
  private sweep(): void {
    const cutoff = Date.now() - FLOW_LIFETIME_MS;
    for (const [key, f] of this.pending) {
      if (f.startedAt >= cutoff && this.pending.size < MAX_PENDING) break;
      this.pending.delete(key);
    }
  }
}
