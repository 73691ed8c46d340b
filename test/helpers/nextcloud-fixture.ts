// Per-test Nextcloud app passwords on the real test server (helpers/nextcloud.ts starts it) for
// alice and bob, minted with OCS getapppassword and deleted again by cleanup().
import type { NextcloudCaller } from '../../src/nextcloud/index.js';
import { ensureNextcloud, nextcloud } from './nextcloud.js';

export const NC_URL = nextcloud.url;
export const NC_USERS = { alice: nextcloud.alice.password, bob: nextcloud.bob.password } as const;
export type FixtureUser = keyof typeof NC_USERS;

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** A new app password for `user`, from Nextcloud's OCS getapppassword (Basic auth with the login password). */
export async function mintAppPassword(user: FixtureUser): Promise<string> {
  const res = await fetch(`${NC_URL}/ocs/v2.php/core/getapppassword?format=json`, {
    headers: { authorization: basic(user, NC_USERS[user]), 'ocs-apirequest': 'true', accept: 'application/json' },
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await res.json()) as { ocs?: { data?: { apppassword?: string } } };
  const pw = body.ocs?.data?.apppassword;
  if (res.status !== 200 || !pw) throw new Error(`getapppassword for ${user} answered ${res.status}`);
  return pw;
}

/** Deletes an app password at Nextcloud (the way a user revokes it). */
export async function revokeAppPassword(user: FixtureUser, appPassword: string): Promise<void> {
  const res = await fetch(`${NC_URL}/ocs/v2.php/core/apppassword?format=json`, {
    method: 'DELETE',
    headers: { authorization: basic(user, appPassword), 'ocs-apirequest': 'true', accept: 'application/json' },
    signal: AbortSignal.timeout(15_000),
  });
  await res.body?.cancel();
  if (res.status !== 200 && res.status !== 401) throw new Error(`deleting the app password of ${user} answered ${res.status}`);
}

/** Callers for alice and bob with fresh app passwords; cleanup() revokes them. */
export async function fixtureCallers(): Promise<{ alice: NextcloudCaller; bob: NextcloudCaller; cleanup(): Promise<void> }> {
  await ensureNextcloud();
  const [a, b] = await Promise.all([mintAppPassword('alice'), mintAppPassword('bob')]);
  const caller = (username: FixtureUser, appPassword: string): NextcloudCaller => ({ baseUrl: NC_URL, username, credential: { kind: 'basic', appPassword } });
  return {
    alice: caller('alice', a),
    bob: caller('bob', b),
    cleanup: async () => {
      await revokeAppPassword('alice', a);
      await revokeAppPassword('bob', b);
    },
  };
}

/** A short random suffix for names created in the shared instance. */
export const unique = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
