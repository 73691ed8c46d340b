// Clients: every client the authorization server knows (registered at /register, pre-registered
// by the operator, and client ID metadata documents, known by their grants), each with its grant
// count and its last use (its newest audit line). Revoking a client withdraws its grants and
// tokens at once; a registered client is also deleted, a pre-registered one stays configured
// (`postern client remove` deletes it), and a metadata-document client can sign in again anew.
import { PREREGISTERED } from '../oauth/preregistered-clients.js';
import { esc } from '../pages/html.js';
import { AdminError, type AdminDeps, type AdminPage, field, type Notice } from './context.js';
import { GRANT_LIST_LIMIT, withdrawGrantsOfClient } from './grants-of.js';
import { actionButton, ident, table, when } from './layout.js';

const PATH = 'clients';
/** The most stored clients the page lists. */
const CLIENT_LIMIT = 1000;

type Kind = 'registered' | 'pre-registered' | 'metadata document';

interface ClientRow {
  id: string;
  name?: string;
  kind: Kind;
  grants: number;
}

const isDocumentId = (id: string) => /^https:\/\//.test(id);

async function clients(deps: AdminDeps): Promise<{ rows: ClientRow[]; truncated: boolean }> {
  const { store } = deps;
  const stored = await store.oidcList('Client', CLIENT_LIMIT);
  const grants = await store.oidcList('Grant', GRANT_LIST_LIMIT);
  const counts = new Map<string, number>();
  for (const g of grants) {
    const id = String(g.record.payload.clientId);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const rows: ClientRow[] = stored.map(({ id, record }) => ({
    id,
    name: typeof record.payload.client_name === 'string' ? record.payload.client_name : undefined,
    kind: record.payload[PREREGISTERED] === true ? 'pre-registered' : 'registered',
    grants: counts.get(id) ?? 0,
  }));
  const known = new Set(rows.map((r) => r.id));
  for (const [id, n] of counts) if (!known.has(id) && isDocumentId(id)) rows.push({ id, kind: 'metadata document', grants: n });
  return { rows, truncated: stored.length >= CLIENT_LIMIT || grants.length >= GRANT_LIST_LIMIT };
}

async function view(deps: AdminDeps, req: { csrf: string }): Promise<string> {
  const { rows, truncated } = await clients(deps);
  const cells = await Promise.all(
    rows.map(async (c) => {
      const [last] = await deps.store.queryAudit({ client: c.id, limit: 1 });
      return [
        `${c.name ? `<strong>${esc(c.name)}</strong><br>` : ''}${ident(c.id, true)}`,
        esc(c.kind),
        String(c.grants),
        when(last?.time),
        actionButton(PATH, 'revoke', req.csrf, { client: c.id }, c.kind === 'registered' ? 'Revoke and delete' : 'Revoke', 'danger'),
      ];
    }),
  );
  return `${table(['Client', 'Kind', 'Grants', 'Last use', ''], cells, 'No clients yet.')}
${truncated ? `<p class="muted">Lists the first ${CLIENT_LIMIT} stored clients, counting the first ${GRANT_LIST_LIMIT} grants.</p>` : ''}
<p class="muted">Revoking withdraws every grant of the client and ends its tokens at once. A registered client is deleted too (it may register again); a pre-registered one stays configured (<code>postern client remove</code> deletes it); a metadata-document client can ask again.</p>`;
}

export const clientsPage: AdminPage = {
  path: PATH,
  title: 'Clients',
  view,
  actions: {
    async revoke({ store, audit }, admin, form): Promise<Notice> {
      const clientId = field(form, 'client', 2000);
      const stored = await store.oidcFind('Client', clientId);
      const withdrawn = await withdrawGrantsOfClient(store, clientId);
      if (!stored && withdrawn === 0) throw new AdminError(404, `no client "${clientId}" with grants`);
      const deleted = !!stored && stored.payload[PREREGISTERED] !== true;
      if (deleted) await store.oidcDestroy('Client', clientId);
      audit.admin('client.revoke', admin, `${clientId} grants_withdrawn=${withdrawn} deleted=${deleted}`);
      return { text: `Client ${clientId}: ${withdrawn} grant(s) withdrawn${deleted ? ', registration deleted' : ''}.` };
    },
  },
};
