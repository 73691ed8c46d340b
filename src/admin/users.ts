// Users: local users (add with a password shown once, reset the password, disable and enable,
// roles) and the accounts remembered from external identity sources (roles an admin adds), each
// with the upstream accounts linked to it (the sources of its sealed credentials, names only).
// Disabling a user or changing roles withdraws the user's grants, so no token outlives the change.
import { setAdminRoles } from '../identity/accounts.js';
import { LocalUsers } from '../identity/local/users.js';
import { IdentityError } from '../identity/types.js';
import { esc } from '../pages/html.js';
import type { AccountRecord, Store, UserRecord } from '../store/types.js';
import { AdminError, type AdminDeps, type AdminPage, field, type Notice, parseRoles } from './context.js';
import { withdrawGrantsOf } from './grants-of.js';
import { actionButton, hiddenFields, ident, table, tags, when } from './layout.js';
import { offsetOf, PAGE_SIZE, pager, readPage } from './paging.js';

const PATH = 'users';
/** Pages past this are refused: 5 million users. */
const MAX_PAGE = 100_000;

async function linked(store: Store, subject: string): Promise<string> {
  return tags(await store.credentialSources(subject));
}

function rolesForm(action: string, csrf: string, key: Record<string, string>, roles: string[], label: string): string {
  return `<form method="post" action="/admin/${PATH}/${action}" class="inline">${hiddenFields(csrf, key)}<input type="text" name="roles" aria-label="${esc(label)}" value="${esc(roles.join(', '))}"><button type="submit" class="secondary">Save roles</button></form>`;
}

async function localRow(store: Store, u: UserRecord, csrf: string): Promise<string[]> {
  const key = { username: u.username };
  return [
    `<strong>${esc(u.username)}</strong>${u.displayName && u.displayName !== u.username ? `<br><span class="muted">${esc(u.displayName)}</span>` : ''}`,
    rolesForm('roles', csrf, key, u.roles, `Roles of ${u.username}`),
    u.disabled ? '<span class="deny">disabled</span>' : '<span class="allow">active</span>',
    await linked(store, `local:${u.username}`),
    [
      actionButton(PATH, 'reset', csrf, key, 'Reset password'),
      u.disabled ? actionButton(PATH, 'enable', csrf, key, 'Enable') : actionButton(PATH, 'disable', csrf, key, 'Disable', 'danger'),
    ].join(''),
  ];
}

async function accountRow(store: Store, a: AccountRecord, csrf: string): Promise<string[]> {
  return [
    `${ident(a.subject, true)}${a.displayName ? `<br><span class="muted">${esc(a.displayName)}</span>` : ''}`,
    tags(a.roles),
    rolesForm('account-roles', csrf, { subject: a.subject }, a.adminRoles ?? [], `Roles added to ${a.subject}`),
    await linked(store, a.subject),
    when(a.updatedAt, 's'),
  ];
}

async function view(deps: AdminDeps, req: { csrf: string; query: URLSearchParams }): Promise<string> {
  const { store } = deps;
  const page = readPage(req.query, MAX_PAGE);
  // A page of each list and one more row, to tell whether another page follows.
  const users = await store.listUsers(PAGE_SIZE + 1, offsetOf(page));
  const accounts = await store.listAccounts(PAGE_SIZE + 1, offsetOf(page));
  const localRows = await Promise.all(users.slice(0, PAGE_SIZE).map((u) => localRow(store, u, req.csrf)));
  const accountRows = await Promise.all(accounts.slice(0, PAGE_SIZE).map((a) => accountRow(store, a, req.csrf)));
  const nav = pager(PATH, page, users.length > PAGE_SIZE || accounts.length > PAGE_SIZE);
  return `<h2>Add a local user</h2>
<form method="post" action="/admin/${PATH}/add" class="row">${hiddenFields(req.csrf)}
<div><label for="new-username">Username</label><input id="new-username" name="username" type="text" required maxlength="64" autocomplete="off"></div>
<div><label for="new-roles">Roles</label><input id="new-roles" name="roles" type="text" placeholder="e.g. dev, admin"></div>
<button type="submit">Add user</button></form>
<h2>Local users</h2>
<p class="muted">Page ${page}: ${PAGE_SIZE} local users and ${PAGE_SIZE} accounts from other sources a page, by name.</p>
${nav}
${table(['User', 'Roles', 'State', 'Linked accounts', ''], localRows, page > 1 ? 'No more local users.' : 'No local users.')}
<h2>Accounts from other identity sources</h2>
<p class="muted">Remembered at their last sign-in. Their source gives them roles from groups; roles added here are kept across sign-ins.</p>
${table(['Account', 'Roles from the source', 'Roles added here', 'Linked accounts', 'Last sign-in'], accountRows, page > 1 ? 'No more accounts.' : 'No accounts from other sources yet.')}
${nav}
<p class="muted">Disabling a user or changing roles withdraws the user's grants: their apps connect again, and new tokens carry the new roles.</p>`;
}

function guardSelf(admin: string, username: string, what: string): void {
  if (admin === `local:${username}`) throw new AdminError(400, `you cannot ${what} yourself: another admin has to`);
}

/** Waits for a change to a local user; 404 when there was no such user. */
async function known(changed: Promise<boolean>, username: string): Promise<void> {
  if (!(await changed)) throw new AdminError(404, `no local user "${username}"`);
}

export const usersPage: AdminPage = {
  path: PATH,
  title: 'Users',
  view,
  actions: {
    async add({ store, audit }, admin, form): Promise<Notice> {
      const username = field(form, 'username', 64);
      const roles = parseRoles(form.get('roles'));
      let password: string;
      try {
        password = await new LocalUsers(store).setPassword(username, undefined, { create: true, roles });
      } catch (err) {
        if (err instanceof IdentityError) throw new AdminError(400, err.message.replace(/; use `postern user passwd .*`$/, ''));
        throw err;
      }
      audit.admin('user.add', admin, `local:${username} roles=${roles.join(',')}`);
      return { text: `User ${username} added.`, secret: { label: `Password of ${username}`, value: password } };
    },
    async reset({ store, audit }, admin, form): Promise<Notice> {
      const username = field(form, 'username', 64);
      if (!(await store.getUser(username))) throw new AdminError(404, `no local user "${username}"`);
      const password = await new LocalUsers(store).setPassword(username);
      audit.admin('user.reset_password', admin, `local:${username}`);
      return { text: `Password of ${username} reset.`, secret: { label: `New password of ${username}`, value: password } };
    },
    async disable({ store, audit }, admin, form): Promise<Notice> {
      const username = field(form, 'username', 64);
      guardSelf(admin, username, 'disable');
      await known(new LocalUsers(store).setDisabled(username, true), username);
      const withdrawn = await withdrawGrantsOf(store, `local:${username}`);
      audit.admin('user.disable', admin, `local:${username} grants_withdrawn=${withdrawn}`);
      return { text: `User ${username} disabled; ${withdrawn} grant(s) withdrawn.` };
    },
    async enable({ store, audit }, admin, form): Promise<Notice> {
      const username = field(form, 'username', 64);
      await known(new LocalUsers(store).setDisabled(username, false), username);
      audit.admin('user.enable', admin, `local:${username}`);
      return { text: `User ${username} enabled.` };
    },
    async roles({ store, audit }, admin, form): Promise<Notice> {
      const username = field(form, 'username', 64);
      const roles = parseRoles(form.get('roles'));
      if (!roles.includes('admin')) guardSelf(admin, username, 'take the admin role from');
      await known(new LocalUsers(store).setRoles(username, roles), username);
      const withdrawn = await withdrawGrantsOf(store, `local:${username}`);
      audit.admin('user.roles', admin, `local:${username} roles=${roles.join(',')} grants_withdrawn=${withdrawn}`);
      return { text: `Roles of ${username}: ${roles.join(', ') || 'none'}; ${withdrawn} grant(s) withdrawn.` };
    },
    async 'account-roles'({ store, audit }, admin, form): Promise<Notice> {
      const subject = field(form, 'subject', 300);
      const roles = parseRoles(form.get('roles'));
      if (!roles.includes('admin') && subject === admin) throw new AdminError(400, 'you cannot take the admin role from yourself: another admin has to');
      if (!(await setAdminRoles(store, subject, roles))) throw new AdminError(404, `no remembered account "${subject}"`);
      const withdrawn = await withdrawGrantsOf(store, subject);
      audit.admin('account.roles', admin, `${subject} roles=${roles.join(',')} grants_withdrawn=${withdrawn}`);
      return { text: `Roles added to ${subject}: ${roles.join(', ') || 'none'}; ${withdrawn} grant(s) withdrawn.` };
    },
  },
};
