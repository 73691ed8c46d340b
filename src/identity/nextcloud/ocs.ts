// Nextcloud's OCS user endpoint, shared by the Nextcloud identity sources: who does this user
// name + app password belong to (id, display name, email, groups)?
import { rolesFor } from '../roles.js';
import { basicAuth } from './app-passwords.js';
import { IdentityError, type Principal } from '../types.js';

export const NEXTCLOUD_PREFIX = 'nextcloud:';

interface OcsUser {
  id: string;
  displayname?: string;
  'display-name'?: string;
  email?: string | null;
  groups?: string[];
  enabled?: boolean;
}

/** The principal for valid credentials, undefined for wrong ones or a disabled user. */
export async function fetchNextcloudUser(
  baseUrl: string,
  username: string,
  password: string,
  opts: { timeoutMs: number; groupRoles: Record<string, string[]> },
): Promise<Principal | undefined> {
  if (username.includes(':')) return undefined; // cannot be sent in Basic auth
  let res: Response;
  try {
    res = await fetch(`${baseUrl}/ocs/v2.php/cloud/user?format=json`, {
      headers: {
        authorization: basicAuth(username, password),
        'ocs-apirequest': 'true',
        accept: 'application/json',
      },
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (err) {
    throw new IdentityError(`Nextcloud at ${baseUrl} did not answer (${(err as Error).message})`);
  }
  if (res.status === 401 || res.status === 403) {
    await res.body?.cancel();
    return undefined;
  }
  if (res.status === 429) throw new IdentityError('Nextcloud is throttling sign-ins from this server; try again later');
  const body = (await res.json().catch(() => undefined)) as { ocs?: { meta?: { statuscode?: number }; data?: OcsUser } } | undefined;
  const user = body?.ocs?.data;
  if (res.status !== 200 || body?.ocs?.meta?.statuscode !== 200 || !user?.id) {
    throw new IdentityError(`Nextcloud answered ${res.status} without a user; check identity.nextcloud.url`);
  }
  if (user.enabled === false) return undefined;
  const groups = user.groups ?? [];
  return {
    subject: NEXTCLOUD_PREFIX + user.id,
    displayName: user.displayname ?? user['display-name'] ?? user.id,
    email: user.email ?? undefined,
    groups,
    roles: rolesFor(groups, opts.groupRoles),
  };
}
