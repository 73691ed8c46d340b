// Clients: every client the authorization server knows (registered at /register, pre-registered
// by the operator, and client ID metadata documents, known by their grants), each with its grant
// count and its last use (its newest audit line). Revoking a client withdraws its grants and
// tokens at once; a registered client is also deleted, a pre-registered one stays configured
// (`postern client remove` deletes it), and a metadata-document client can sign in again anew.
import { PREREGISTERED } from '../oauth/preregistered-clients.js';
import { esc } from '../pages/html.js';
import { AdminError, type AdminDeps, type AdminPage, field, type Notice } from './context.js';
import { withdrawGrantsOfClient } from './grants-of.js';
import { actionButton, ident, table, when } from './layout.js';
import { offsetOf, PAGE_SIZE, pager, readPage } from './paging.js';

const PATH = 'clients';
/** A client's grants are counted up to this many (the grants page lists them). */
const COUNT_LIMIT = 1000;
/** Pages past this are refused: 5 million clients. */
const MAX_PAGE = 100_000;

type Kind = 'registered' | 'pre-registered' | 'metadata document';

interface ClientRow {
  id: string;
  name?: string;
  kind: Kind;
  grants: string;
}

const isDocumentId = (id: string) => /^https:\/\//.test(id);

/**
 * One page of clients: the stored ones (registered and pre-registered) by id, and the
 * metadata-document clients, which only their grants make known, by id among the clients holding
 * grants. Each list reads a page and one more row, to tell whether another page follows.
 */
async function clients(deps: AdminDeps, page: number): Promise<{ rows: ClientRow[]; more: boolean }> {
  const { store } = deps;
  const stored = await store.oidcList('Client', PAGE_SIZE + 1, offsetOf(page));
  const holders = await store.oidcGrantClients(PAGE_SIZE + 1, offsetOf(page));
  const count = async (id: string) => {
    const n = (await store.oidcGrantsOfClient(id, COUNT_LIMIT)).length;
    return n >= COUNT_LIMIT ? `${COUNT_LIMIT}+` : String(n);
  };
  const rows: ClientRow[] = await Promise.all(
    stored.slice(0, PAGE_SIZE).map(async ({ id, record }) => ({
      id,
      name: typeof record.payload.client_name === 'string' ? record.payload.client_name : undefined,
      kind: record.payload[PREREGISTERED] === true ? ('pre-registered' as const) : ('registered' as const),
      grants: await count(id),
    })),
  );
  for (const { clientId, grants } of holders.slice(0, PAGE_SIZE)) {
    if (isDocumentId(clientId) && !(await store.oidcFind('Client', clientId))) rows.push({ id: clientId, kind: 'metadata document', grants: String(grants) });
  }
  return { rows, more: stored.length > PAGE_SIZE || holders.length > PAGE_SIZE };
}

async function view(deps: AdminDeps, req: { csrf: string; query: URLSearchParams }): Promise<string> {
  const page = readPage(req.query, MAX_PAGE);
  const { rows, more } = await clients(deps, page);
  const cells = await Promise.all(
    rows.map(async (c) => {
      const [last] = await deps.store.queryAudit({ client: c.id, limit: 1 });
      return [
        `${c.name ? `<strong>${esc(c.name)}</strong><br>` : ''}${ident(c.id, true)}`,
        esc(c.kind),
        c.grants,
        when(last?.time),
        actionButton(PATH, 'revoke', req.csrf, { client: c.id }, c.kind === 'registered' ? 'Revoke and delete' : 'Revoke', 'danger'),
      ];
    }),
  );
  return `${table(['Client', 'Kind', 'Grants', 'Last use', ''], cells, page > 1 ? 'No more clients.' : 'No clients yet.')}
${pager(PATH, page, more)}
<p class="muted">Page ${page}: stored clients by ID, then the metadata-document clients holding grants, ${PAGE_SIZE} of each a page.</p>
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
