// Client names for the console's tables: a client's registered name by its id, looked up once per
// distinct id shown (Postern's own page client by its fixed name).
import { ACCOUNT_CLIENT_ID, ACCOUNT_CLIENT_NAME } from '../oauth/page-session.js';
import { esc } from '../pages/html.js';
import type { OidcArtifacts } from '../store/types.js';

export async function clientNames(store: OidcArtifacts, ids: Iterable<string>): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const id of new Set(ids)) {
    if (id === ACCOUNT_CLIENT_ID) names.set(id, ACCOUNT_CLIENT_NAME);
    const name = (await store.oidcFind('Client', id))?.payload.client_name;
    if (typeof name === 'string' && name) names.set(id, name);
  }
  return names;
}

/** A client in a table cell: its name, with its id on hover; the id alone when it has no name. */
export function clientCell(id: string, names: Map<string, string>): string {
  const name = names.get(id);
  return name ? `<span title="${esc(id)}"><strong>${esc(name)}</strong></span>` : `<code class="long">${esc(id)}</code>`;
}
