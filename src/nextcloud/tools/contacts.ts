// Contacts (CardDAV): address books, search, read, create, update (only the given fields), delete.
import { z } from 'zod';
import { changeContact, createContact, getContact, listAddressBooks, removeContact, searchContacts } from '../carddav.js';
import { CHANGES, CREATES, defineTool, DELETES, READ_ONLY, type AnyToolSpec } from '../define.js';
import { NextcloudError } from '../errors.js';
import { describeContact } from '../vcard.js';
import { done, doneWith, etagInput } from './shared.js';

const contact = z.object({
  contactId: z.string(),
  etag: z.string(),
  uid: z.string(),
  fullName: z.string(),
  emails: z.array(z.string()),
  phones: z.array(z.string()),
  organization: z.string().optional(),
  title: z.string().optional(),
  note: z.string().optional(),
  birthday: z.string().optional(),
  addresses: z.array(z.string()),
});

const fields = {
  fullName: z.string().max(500).optional(),
  emails: z.array(z.string().max(320)).max(20).optional().describe('Replaces all email addresses.'),
  phones: z.array(z.string().max(100)).max(20).optional().describe('Replaces all phone numbers.'),
  organization: z.string().max(500).optional(),
  title: z.string().max(500).optional(),
  note: z.string().max(10_000).optional(),
  birthday: z.string().max(20).optional().describe('YYYY-MM-DD'),
};

const contactId = z.string().max(500).describe('The contactId from contacts_search.');

export const contactsTools: AnyToolSpec[] = [
  defineTool({
    name: 'contacts_list_addressbooks',
    title: 'List address books',
    description: "List the user's address books (id and name).",
    app: 'contacts',
    input: z.object({}),
    output: z.object({ addressBooks: z.array(z.object({ id: z.string(), name: z.string() })) }),
    annotations: READ_ONLY,
    run: async (_a, { conn }) => ({ addressBooks: await listAddressBooks(conn) }),
  }),
  defineTool({
    name: 'contacts_search',
    title: 'Search contacts',
    description:
      'Find contacts whose name, email, phone or organization contains the query (case-insensitive), in all address books or one. An empty query lists contacts.',
    app: 'contacts',
    input: z.object({
      query: z.string().max(200).default(''),
      addressBook: z.string().max(200).optional(),
      limit: z.number().int().min(1).max(200).default(50),
    }),
    output: z.object({ items: z.array(contact) }),
    annotations: READ_ONLY,
    async run({ query, addressBook, limit }, { conn }) {
      const books = addressBook ? [addressBook] : (await listAddressBooks(conn)).map((b) => b.id);
      return { items: await searchContacts(conn, books, query, limit) };
    },
  }),
  defineTool({
    name: 'contacts_get',
    title: 'Read a contact',
    description: 'Read one contact with its etag (contacts_update and contacts_delete take it).',
    app: 'contacts',
    input: z.object({ contactId }),
    output: contact,
    annotations: READ_ONLY,
    async run({ contactId: id }, { conn }) {
      const { data, etag } = await getContact(conn, id);
      return { contactId: id, etag, ...describeContact(data) };
    },
  }),
  defineTool({
    name: 'contacts_create',
    title: 'Create a contact',
    description: 'Create a contact in an address book (default: the first one, usually "contacts").',
    app: 'contacts',
    input: z.object({ addressBook: z.string().max(200).optional(), ...fields, fullName: z.string().min(1).max(500) }),
    output: contact,
    annotations: CREATES,
    async run({ addressBook, ...f }, { conn }) {
      const book = addressBook ?? (await listAddressBooks(conn)).find((b) => b.id === 'contacts')?.id ?? (await listAddressBooks(conn))[0]?.id;
      if (!book) throw new NextcloudError('not-found', 'The user has no address book.');
      const made = await createContact(conn, book, f);
      return { contactId: made.contactId, etag: made.etag, ...describeContact(made.data) };
    },
  }),
  defineTool({
    name: 'contacts_update',
    title: 'Update a contact',
    description:
      'Change a contact; only the fields given change, everything else (photo, addresses, groups, other properties) stays. Pass the etag you read so a concurrent edit is never overwritten.',
    app: 'contacts',
    input: z.object({ contactId, etag: etagInput, ...fields }),
    output: contact,
    annotations: CHANGES,
    async run({ contactId: id, etag, ...f }, { conn }) {
      const changed = await changeContact(conn, id, f, etag);
      return { contactId: id, etag: changed.etag, ...describeContact(changed.data) };
    },
  }),
  defineTool({
    name: 'contacts_delete',
    title: 'Delete a contact',
    description: 'Delete a contact. Pass etag to refuse if it changed since you read it.',
    app: 'contacts',
    input: z.object({ contactId, etag: etagInput }),
    output: done,
    annotations: DELETES,
    async run({ contactId: id, etag }, { conn }) {
      await removeContact(conn, id, etag);
      return doneWith(`Deleted contact ${id}.`);
    },
  }),
];
