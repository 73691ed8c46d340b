// Nextcloud's OCS app-password calls, hand-written as the rest of the OCS JSON: mint an app
// password from a login password (GET /ocs/v2.php/core/getapppassword) and delete one
// (DELETE /ocs/v2.php/core/apppassword, authenticated with that very app password). Nextcloud
// names the device after the request's User-Agent, so every app password Postern holds shows up
// in the user's security settings as "Postern".
import { IdentityError } from '../types.js';

/** The User-Agent Postern sends to Nextcloud when an app password is made (Login Flow v2 or getapppassword). */
export const POSTERN_DEVICE_NAME = 'Postern MCP gateway';

export const basicAuth = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function ocsCall(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new IdentityError(`Nextcloud at ${new URL(url).origin} did not answer (${(err as Error).message})`);
  }
}

/**
 * A new app password for a login name and its login password. When `password` already is an app
 * password, Nextcloud refuses with 403 and this answers `{ typed: true }`: keep the one the user gave.
 */
export async function mintAppPassword(
  baseUrl: string,
  loginName: string,
  password: string,
  timeoutMs: number,
): Promise<{ appPassword: string; typed?: false } | { typed: true }> {
  const res = await ocsCall(
    `${baseUrl}/ocs/v2.php/core/getapppassword?format=json`,
    {
      headers: { authorization: basicAuth(loginName, password), 'ocs-apirequest': 'true', accept: 'application/json', 'user-agent': POSTERN_DEVICE_NAME },
    },
    timeoutMs,
  );
  if (res.status === 403) {
    await res.body?.cancel();
    return { typed: true };
  }
  const body = (await res.json().catch(() => undefined)) as { ocs?: { data?: { apppassword?: unknown } } } | undefined;
  const appPassword = body?.ocs?.data?.apppassword;
  if (res.status !== 200 || typeof appPassword !== 'string' || !appPassword) {
    throw new IdentityError(`Nextcloud answered ${res.status} when asked for an app password`);
  }
  return { appPassword };
}

/**
 * Deletes an app password at Nextcloud. Resolves to true when Nextcloud deleted it, false when it
 * was gone already (401: revoked by the user); throws IdentityError on any other answer.
 */
export async function deleteAppPassword(baseUrl: string, loginName: string, appPassword: string, timeoutMs: number): Promise<boolean> {
  const res = await ocsCall(
    `${baseUrl}/ocs/v2.php/core/apppassword?format=json`,
    {
      method: 'DELETE',
      headers: { authorization: basicAuth(loginName, appPassword), 'ocs-apirequest': 'true', accept: 'application/json' },
    },
    timeoutMs,
  );
  await res.body?.cancel();
  if (res.status === 200) return true;
  if (res.status === 401) return false;
  throw new IdentityError(`Nextcloud answered ${res.status} when asked to delete an app password`);
}
