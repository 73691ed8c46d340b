// Accounts of external sources (Nextcloud, trusted headers, …): recorded at sign-in so that a
// token can be issued or refreshed later without the source.
import type { AccountStore } from '../store/types.js';
import type { Principal } from './types.js';

export async function rememberAccount(store: AccountStore, principal: Principal): Promise<void> {
  await store.putAccount({ ...principal, updatedAt: Math.floor(Date.now() / 1000) });
}

export async function findRememberedAccount(store: AccountStore, prefix: string, subject: string): Promise<Principal | undefined> {
  if (!subject.startsWith(prefix)) return undefined;
  const a = await store.getAccount(subject);
  return a && { subject: a.subject, displayName: a.displayName, email: a.email, groups: a.groups, roles: a.roles };
}
