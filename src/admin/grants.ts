// Grants: every live grant, filtered by user and client, with its scopes; withdraw any of them
// (its tokens are refused at /mcp at once).
import { revokeGrant } from '../oauth/middleware.js';
import { esc } from '../pages/html.js';
import { clientCell, clientNames } from './client-names.js';
import { AdminError, type AdminDeps, type AdminPage, field, type Notice } from './context.js';
import { GRANT_LIST_LIMIT } from './grants-of.js';
import { actionButton, ident, table, when } from './layout.js';

const PATH = 'grants';

function scopesOf(payload: Record<string, unknown>): string[] {
  const { resources = {}, openid } = payload as { resources?: Record<string, string>; openid?: { scope?: string } };
  return [...new Set([openid?.scope ?? '', ...Object.values(resources)].flatMap((s) => s.split(' ')))].filter(Boolean);
}

async function view(deps: AdminDeps, req: { csrf: string; query: URLSearchParams }): Promise<string> {
  const user = (req.query.get('user') ?? '').trim().slice(0, 300);
  const client = (req.query.get('client') ?? '').trim().slice(0, 2000);
  const grants = user
    ? await deps.store.oidcGrantsOf(user)
    : client
      ? await deps.store.oidcGrantsOfClient(client, GRANT_LIST_LIMIT)
      : await deps.store.oidcList('Grant', GRANT_LIST_LIMIT);
  const shown = grants.filter((g) => !client || g.record.payload.clientId === client);
  const names = await clientNames(
    deps.store,
    shown.map((g) => String(g.record.payload.clientId)),
  );
  const rows = shown.map(({ id, record }) => [
    ident(record.payload.accountId),
    clientCell(String(record.payload.clientId), names),
    esc(scopesOf(record.payload).join(' ')),
    when(Number(record.payload.iat), 's'),
    when(record.expiresAt, 's'),
    actionButton(PATH, 'withdraw', req.csrf, { grant: id }, 'Withdraw', 'danger'),
  ]);
  return `<form method="get" action="/admin/${PATH}" class="row">
<div><label for="g-user">User</label><input id="g-user" name="user" type="text" value="${esc(user)}" placeholder="local:alice"></div>
<div><label for="g-client">Client</label><input id="g-client" name="client" type="text" value="${esc(client)}"></div>
<button type="submit" class="secondary">Filter</button></form>
${table(['User', 'Client', 'Scopes', 'Granted', 'Expires', ''], rows, 'No grants match.')}
${!user && grants.length >= GRANT_LIST_LIMIT ? `<p class="muted">Shows the first ${GRANT_LIST_LIMIT} grants${client ? ' of this client' : ''}; filter by user to see all of one user's.</p>` : ''}`;
}

export const grantsPage: AdminPage = {
  path: PATH,
  title: 'Grants',
  view,
  actions: {
    async withdraw({ store, audit }, admin, form): Promise<Notice> {
      const grantId = field(form, 'grant', 200);
      const grant = await store.oidcFind('Grant', grantId);
      if (!grant) throw new AdminError(404, 'no such grant (it may have been withdrawn already)');
      await revokeGrant(store, grantId);
      audit.admin('grant.withdraw', admin, `${grant.payload.accountId} ${grant.payload.clientId} grant=${grantId}`);
      return { text: `Grant of ${grant.payload.accountId} to ${grant.payload.clientId} withdrawn.` };
    },
  },
};
