// Accounts of external sources (Nextcloud, trusted headers, …): recorded at sign-in so that a
// token can be issued or refreshed later without the source. Roles an admin gave an account are
// kept across its sign-ins and added to the roles its source gives.
import type { AccountRecord, AccountStore } from '../store/types.js';
import type { Principal } from './types.js';

export async function rememberAccount(store: AccountStore, principal: Principal): Promise<void> {
  const adminRoles = (await store.getAccount(principal.subject))?.adminRoles;
  await store.putAccount({ ...principal, ...(adminRoles ? { adminRoles } : {}), updatedAt: Math.floor(Date.now() / 1000) });
}

/** The roles an account has: its source's and an admin's. */
export const accountRoles = (a: AccountRecord): string[] => [...new Set([...a.roles, ...(a.adminRoles ?? [])])];

export async function findRememberedAccount(store: AccountStore, prefix: string, subject: string): Promise<Principal | undefined> {
  if (!subject.startsWith(prefix)) return undefined;
  const a = await store.getAccount(subject);
  return a && { subject: a.subject, displayName: a.displayName, email: a.email, groups: a.groups, roles: accountRoles(a) };
}

/** Sets the roles an admin gives a remembered account; returns false when there is no such account. */
export async function setAdminRoles(store: AccountStore, subject: string, roles: string[]): Promise<boolean> {
  const a = await store.getAccount(subject);
  if (!a) return false;
  await store.putAccount({ ...a, adminRoles: roles });
  return true;
}
