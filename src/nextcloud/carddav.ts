// CardDAV for the contact tools (tsdav): address books, a text search on name, email, phone and
// organization (addressbook-query), and contacts read, created, changed with If-Match, deleted.
// Contacts are named "<addressbook>/<file>.vcf".
import { randomUUID } from 'node:crypto';
import { addressBookQuery, createVCard, deleteVCard, propfind, updateVCard } from 'tsdav';
import type { NextcloudConnection } from './connection.js';
import { collectionIdOf, objectIdOf, objectUrlIn, stripQuotes } from './dav-objects.js';
import { withCurrentEtag } from './errors.js';
import { buildContact, describeContact, updateContact, type ContactFields, type ContactInfo } from './vcard.js';
import { quoteEtag } from './webdav-client.js';

const home = (conn: NextcloudConnection) => `${conn.base}/remote.php/dav/addressbooks/users/${encodeURIComponent(conn.caller.username)}/`;
const bookUrl = (conn: NextcloudConnection, id: string) => `${home(conn)}${encodeURIComponent(id)}/`;
const contactUrl = (conn: NextcloudConnection, id: string) => objectUrlIn(home(conn), id, '.vcf', 'contacts/abc.vcf');
const davFetch = (conn: NextcloudConnection) => conn.fetch as unknown as typeof fetch;

export async function listAddressBooks(conn: NextcloudConnection): Promise<Array<{ id: string; name: string }>> {
  const res = await propfind({ url: home(conn), props: { 'd:displayname': {}, 'd:resourcetype': {} }, depth: '1', fetch: davFetch(conn) });
  return res
    .filter((r) => r.href && Object.keys(r.props?.resourcetype ?? {}).includes('addressbook'))
    .map((r) => {
      const id = collectionIdOf(r.href!);
      const name = r.props?.displayname?._cdata ?? r.props?.displayname;
      return { id, name: typeof name === 'string' && name ? name : id };
    });
}

/** Contacts matching `query` (substring of FN, EMAIL, TEL or ORG), at most `limit` per book. */
export async function searchContacts(
  conn: NextcloudConnection,
  books: string[],
  query: string,
  limit: number,
): Promise<Array<ContactInfo & { contactId: string; etag: string }>> {
  const out: Array<ContactInfo & { contactId: string; etag: string }> = [];
  const match = (name: string) => ({
    _attributes: { name },
    'text-match': { _attributes: { collation: 'i;unicode-casemap', 'match-type': 'contains' }, _text: query },
  });
  for (const book of books) {
    const res = await addressBookQuery({
      url: bookUrl(conn, book),
      props: { 'd:getetag': {}, 'card:address-data': {} },
      filters: query ? { _attributes: { test: 'anyof' }, 'prop-filter': ['FN', 'EMAIL', 'TEL', 'ORG'].map(match) } : undefined,
      depth: '1',
      fetch: davFetch(conn),
    });
    for (const r of res) {
      const data = r.props?.addressData?._cdata ?? r.props?.addressData;
      if (!r.href || typeof data !== 'string') continue;
      out.push({ contactId: objectIdOf(new URL(r.href, conn.base).href), etag: stripQuotes(String(r.props?.getetag ?? '')), ...describeContact(data) });
      if (out.length >= limit) return out;
    }
  }
  return out;
}

export async function getContact(conn: NextcloudConnection, id: string): Promise<{ data: string; etag: string }> {
  const res = await conn.fetch(contactUrl(conn, id), { method: 'GET', what: id, headers: { accept: 'text/vcard' } });
  return { data: await res.text(), etag: stripQuotes(res.headers.get('etag')) };
}

export async function createContact(
  conn: NextcloudConnection,
  book: string,
  fields: ContactFields,
): Promise<{ contactId: string; etag: string; data: string }> {
  const uid = randomUUID();
  const data = buildContact(uid, fields);
  const res = await createVCard({ addressBook: { url: bookUrl(conn, book) }, vCardString: data, filename: `${uid}.vcf`, fetch: davFetch(conn) });
  await res.body?.cancel();
  return { contactId: `${book}/${uid}.vcf`, etag: stripQuotes(res.headers.get('etag')), data };
}

export async function changeContact(conn: NextcloudConnection, id: string, fields: ContactFields, etag?: string): Promise<{ etag: string; data: string }> {
  const current = await getContact(conn, id);
  const data = updateContact(current.data, fields);
  const res = await withCurrentEtag(
    () => updateVCard({ vCard: { url: contactUrl(conn, id), data, etag: quoteEtag(etag ?? current.etag) }, fetch: davFetch(conn) }),
    async () => (await getContact(conn, id)).etag,
  );
  await res.body?.cancel();
  return { etag: stripQuotes(res.headers.get('etag')), data };
}

export async function removeContact(conn: NextcloudConnection, id: string, etag?: string): Promise<void> {
  const res = await withCurrentEtag(
    () => deleteVCard({ vCard: { url: contactUrl(conn, id), etag: etag ? quoteEtag(etag) : undefined }, fetch: davFetch(conn) }),
    async () => (await getContact(conn, id)).etag,
  );
  await res.body?.cancel();
}
