// Nextcloud Login Flow v2 from Postern's side, for whoever drives it (the sign-in steps, the
// "Connect Nextcloud" page): start a flow under a key (POST /index.php/login/v2) and poll it until
// Nextcloud hands over the login name and a new app password, which the user granted on
// Nextcloud's own page. Flows last Nextcloud's 20 minutes; at most MAX_PENDING wait at once.
// Flows under way live in the store, so that each poll may land on any replica sharing it: a
// record per flow (by a random id: its poll token, sealed like upstream credentials, since
// whoever holds it gets the user's new app password; the poll endpoint; the login URL), and per
// key a record naming the key's current flow. Of all the polls (on any replica) that Nextcloud
// hands a grant to — racing polls of one flow get the same app password — exactly one takes it,
// by consuming the flow's record atomically: it hands the grant out when the flow is still its
// key's current one, and otherwise deletes the app password at Nextcloud. The others only say
// expired, and never delete what the taker may have handed out.
import { createHash, randomBytes } from 'node:crypto';
import type { OidcArtifacts } from '../../../store/types.js';
import type { Sealer } from '../../sealed.js';
import { IdentityError } from '../../types.js';
import { deleteAppPassword, POSTERN_DEVICE_NAME } from '../app-passwords.js';

const FLOW_LIFETIME_S = 20 * 60; // Nextcloud's own limit for a login flow
const MAX_PENDING = 10_000;
/** The store's model for flows, by their random id. */
const FLOW = 'NextcloudLoginFlow';
/** The store's model naming each key's current flow, by a hash of the key. */
const CURRENT = 'NextcloudLoginFlowKey';

export type FlowPoll = { kind: 'pending'; login: string } | { kind: 'expired' } | { kind: 'granted'; loginName: string; appPassword: string };
/** A flow as the store has it: Nextcloud's grant is known only by asking Nextcloud. */
export type FlowState = Exclude<FlowPoll, { kind: 'granted' }>;

export type FlowStore = Pick<OidcArtifacts, 'oidcUpsert' | 'oidcFind' | 'oidcDestroy' | 'oidcConsume' | 'oidcCount'>;

interface Flow {
  id: string;
  /** The poll token, sealed. */
  token: string;
  endpoint: string;
  login: string;
}

type Polled = { kind: 'waiting' } | { kind: 'granted'; loginName: string; appPassword: string };

const EXPIRED: FlowState = { kind: 'expired' };
const nowSeconds = () => Math.floor(Date.now() / 1000);

export class LoginFlowClient {
  /** `scope` keeps the keys of one user of flows (sign-in: interactions; Connect: subjects) apart from another's. */
  constructor(
    private readonly config: { url: string; timeoutMs: number },
    private readonly deps: { store: FlowStore; sealer: Sealer; scope: string },
  ) {}

  private async call(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(this.config.timeoutMs) });
    } catch (err) {
      throw new IdentityError(`Nextcloud at ${this.config.url} did not answer (${(err as Error).message})`);
    }
  }

  /**
   * Starts a flow under `key`, replacing one it had from this moment on (a poll of the old one
   * still on its way then counts as expired, and what Nextcloud granted for it is deleted there);
   * returns the Nextcloud URL the user must open.
   */
  async start(key: string): Promise<string> {
    await this.forget(key);
    const { store, sealer } = this.deps;
    if ((await store.oidcCount(FLOW)) >= MAX_PENDING) {
      throw new IdentityError(`too many Nextcloud sign-ins are waiting (${MAX_PENDING}); try again in a few minutes`);
    }
    const res = await this.call(`${this.config.url}/index.php/login/v2`, {
      method: 'POST',
      headers: { 'user-agent': POSTERN_DEVICE_NAME, accept: 'application/json' },
    });
    const body = (await res.json().catch(() => undefined)) as { poll?: { token?: string; endpoint?: string }; login?: string } | undefined;
    if (res.status !== 200 || typeof body?.poll?.token !== 'string' || typeof body.poll.endpoint !== 'string' || typeof body.login !== 'string') {
      throw new IdentityError(`Nextcloud answered ${res.status} to the login flow request; check identity.nextcloud.url`);
    }
    const id = randomBytes(18).toString('base64url');
    const expiresAt = nowSeconds() + FLOW_LIFETIME_S;
    const flow = { token: sealer.seal(body.poll.token, sealContext(id)), endpoint: body.poll.endpoint, login: body.login };
    await store.oidcUpsert(FLOW, id, flow, expiresAt);
    await store.oidcUpsert(CURRENT, this.keyId(key), { flow: id }, expiresAt);
    return body.login;
  }

  /**
   * One poll of the flow under `key`: still waiting, expired (or never started), or granted (then
   * gone). A flow forgotten or replaced while its poll was on its way (the user unlinked or
   * started over) counts as expired: what Nextcloud granted for it is deleted there, never handed out.
   */
  async poll(key: string): Promise<FlowPoll> {
    const flow = await this.currentFlow(key);
    if (!flow) return EXPIRED;
    const polled = await this.pollNextcloud(flow);
    if (polled.kind === 'waiting') return (await this.isCurrent(key, flow)) ? { kind: 'pending', login: flow.login } : EXPIRED;
    if (!(await this.take(flow))) return EXPIRED;
    if (!(await this.isCurrent(key, flow))) {
      await this.discard(polled);
      return EXPIRED;
    }
    return polled;
  }

  /** The flow under `key` as the store has it, without asking Nextcloud: still waiting, or expired (or never started). */
  async waiting(key: string): Promise<FlowState> {
    const flow = await this.currentFlow(key);
    return flow ? { kind: 'pending', login: flow.login } : EXPIRED;
  }

  /**
   * Forgets the flow under `key` (the user went another way) on every replica. Should Nextcloud
   * already have granted it, the app password is taken and deleted there.
   */
  async forget(key: string): Promise<void> {
    const flow = await this.currentFlow(key);
    if (!flow) return;
    await this.deps.store.oidcDestroy(CURRENT, this.keyId(key));
    const polled = await this.pollNextcloud(flow).catch(() => undefined);
    if (polled?.kind === 'granted' && (await this.take(flow))) await this.discard(polled);
  }

  /** The id of the key's current flow. */
  private async currentId(key: string): Promise<string | undefined> {
    const id = (await this.deps.store.oidcFind(CURRENT, this.keyId(key)))?.payload.flow;
    return typeof id === 'string' ? id : undefined;
  }

  private async isCurrent(key: string, flow: Flow): Promise<boolean> {
    return (await this.currentId(key)) === flow.id;
  }

  /** The key's current flow, if it has one not yet taken. */
  private async currentFlow(key: string): Promise<Flow | undefined> {
    const id = await this.currentId(key);
    if (id === undefined) return undefined;
    const found = await this.deps.store.oidcFind(FLOW, id);
    if (!found || found.payload.consumed) return undefined;
    const { token, endpoint, login } = found.payload;
    return typeof token === 'string' && typeof endpoint === 'string' && typeof login === 'string' ? { id, token, endpoint, login } : undefined;
  }

  /** Asks Nextcloud once whether the user granted the flow. */
  private async pollNextcloud(flow: Flow): Promise<Polled> {
    let token: string;
    try {
      token = this.deps.sealer.open(flow.token, sealContext(flow.id));
    } catch {
      throw new IdentityError('a Nextcloud login flow in the store cannot be opened (was the instance secret changed?)');
    }
    const res = await this.call(flow.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    if (res.status === 404) {
      await res.body?.cancel();
      return { kind: 'waiting' };
    }
    const body = (await res.json().catch(() => undefined)) as { loginName?: unknown; appPassword?: unknown } | undefined;
    if (res.status !== 200 || typeof body?.loginName !== 'string' || typeof body.appPassword !== 'string' || !body.loginName || !body.appPassword) {
      throw new IdentityError(`Nextcloud answered ${res.status} while polling the login flow`);
    }
    return { kind: 'granted', loginName: body.loginName, appPassword: body.appPassword };
  }

  /** True for exactly one caller, on any replica, per flow: that one owns what Nextcloud granted. */
  private async take(flow: Flow): Promise<boolean> {
    const taken = await this.deps.store.oidcConsume(FLOW, flow.id);
    if (taken) await this.deps.store.oidcDestroy(FLOW, flow.id);
    return taken;
  }

  /** Deletes a granted app password at Nextcloud that nobody will use. */
  private async discard(granted: { loginName: string; appPassword: string }): Promise<void> {
    await deleteAppPassword(this.config.url, granted.loginName, granted.appPassword, this.config.timeoutMs).catch(() => false);
  }

  private keyId(key: string): string {
    return createHash('sha256').update(`${this.deps.scope}\0${key}`).digest('base64url');
  }
}

const sealContext = (flowId: string) => `${FLOW}:${flowId}`;
