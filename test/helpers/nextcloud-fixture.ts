// The real Nextcloud test server (../shared/nextcloud, see its README): makes sure it runs (starts
// it with start.sh when status.php does not answer), and hands out per-test app passwords for
// alice and bob, minted with OCS getapppassword and deleted again by cleanup().
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { NextcloudCaller } from '../../src/nextcloud/index.js';

const run = promisify(execFile);
const START = fileURLToPath(new URL('../../../shared/nextcloud/start.sh', import.meta.url));
/** The apps every user of the shared instance starts it with (other values make it reinstall). */
export const NC_APPS = 'notes deck tables oidc';

export const NC_PORT = Number(process.env.NC_PORT ?? 18380);
export const NC_URL = `http://127.0.0.1:${NC_PORT}`;
export const NC_USERS = {
  alice: process.env.NC_ALICE_PASS ?? 'Alice-Pass-2026!',
  bob: process.env.NC_BOB_PASS ?? 'Bob-Pass-2026!',
} as const;
export type FixtureUser = keyof typeof NC_USERS;

async function answers(): Promise<boolean> {
  try {
    const res = await fetch(`${NC_URL}/status.php`, { signal: AbortSignal.timeout(3000) });
    const body = (await res.json()) as { installed?: boolean };
    return body.installed === true;
  } catch {
    return false;
  }
}

/** Starts the fixture if it is not up (cold start takes about 30 s, a first install longer). */
export async function ensureNextcloud(): Promise<string> {
  if (await answers()) return NC_URL;
  await run('bash', [START], { env: { ...process.env, NC_APPS, NC_PORT: String(NC_PORT) }, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });
  if (!(await answers())) throw new Error(`the Nextcloud fixture did not come up at ${NC_URL}`);
  return NC_URL;
}

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
