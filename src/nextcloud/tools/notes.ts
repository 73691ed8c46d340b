// Notes (the Notes app's REST API v1): list by chunks, search, read, create, update with
// If-Match, append, delete.
import { z } from 'zod';
import type { NextcloudConnection } from '../connection.js';
import { ADDS_TO, CHANGES, CREATES, defineTool, DELETES, READ_ONLY, type AnyToolSpec } from '../define.js';
import { NextcloudError, withCurrentEtag } from '../errors.js';
import { cursorInput, decodeCursor, encodeCursor, limitInput } from '../paging.js';
import { quoteEtag } from '../webdav-client.js';
import { done, doneWith, etagInput } from './shared.js';

const API = '/apps/notes/api/v1/notes';
const SEARCH_SCAN_LIMIT = 2000;

interface Note {
  id: number;
  etag: string;
  title: string;
  category: string;
  content?: string;
  modified: number;
  favorite: boolean;
  readonly?: boolean;
}

const noteSummary = z.object({ id: z.number(), title: z.string(), category: z.string(), modified: z.string(), favorite: z.boolean(), etag: z.string() });
const fullNote = noteSummary.extend({ content: z.string() });
const noteId = z.number().int().positive().describe('The note id (from notes_list or notes_search).');

const summary = (n: Note) => ({
  id: n.id,
  title: n.title,
  category: n.category,
  modified: new Date(n.modified * 1000).toISOString(),
  favorite: n.favorite,
  etag: n.etag,
});
const full = (n: Note) => ({ ...summary(n), content: n.content ?? '' });

async function getNote(conn: NextcloudConnection, id: number): Promise<Note> {
  return (await conn.json<Note>('GET', `${API}/${id}`, undefined, { what: `note ${id}` })).data;
}

/** One chunk of notes from the server, with its cursor for the next one. */
async function chunk(conn: NextcloudConnection, params: Record<string, string>, serverCursor?: string): Promise<{ notes: Note[]; next?: string }> {
  const q = new URLSearchParams(params);
  if (serverCursor) q.set('chunkCursor', serverCursor);
  const res = await conn.fetch(`${conn.base}/index.php${API}?${q}`, { headers: { accept: 'application/json', 'ocs-apirequest': 'true' }, what: 'the notes' });
  const notes = (await res.json()) as Note[];
  return { notes, next: res.headers.get('x-notes-chunk-cursor') ?? undefined };
}

async function putNote(conn: NextcloudConnection, id: number, fields: Partial<Note>, etag: string): Promise<Note> {
  return withCurrentEtag(
    async () => (await conn.json<Note>('PUT', `${API}/${id}`, fields, { what: `note ${id}`, headers: { 'if-match': quoteEtag(etag) } })).data,
    async () => (await getNote(conn, id)).etag,
  );
}

export const notesTools: AnyToolSpec[] = [
  defineTool({
    name: 'notes_list',
    title: 'List notes',
    description:
      "List the user's notes (id, title, category, modification time), optionally only one category, one page at a time. Read a note's text with notes_get.",
    app: 'notes',
    input: z.object({ category: z.string().max(200).optional(), cursor: cursorInput, limit: limitInput(200, 50) }),
    output: z.object({ items: z.array(noteSummary), nextCursor: z.string().optional() }),
    annotations: READ_ONLY,
    async run({ category, cursor, limit }, { conn }) {
      const { s } = decodeCursor(cursor);
      const params: Record<string, string> = { exclude: 'content', chunkSize: String(limit) };
      if (category !== undefined) params.category = category;
      const { notes, next } = await chunk(conn, params, s);
      return { items: notes.map(summary), ...(next ? { nextCursor: encodeCursor({ o: 0, s: next }) } : {}) };
    },
  }),
  defineTool({
    name: 'notes_search',
    title: 'Search notes',
    description: 'Find notes whose title or text contains the query (case-insensitive). Returns matching notes with a short excerpt around the first match.',
    app: 'notes',
    input: z.object({ query: z.string().min(1).max(200), cursor: cursorInput, limit: limitInput(100, 20) }),
    output: z.object({ items: z.array(noteSummary.extend({ excerpt: z.string() })), nextCursor: z.string().optional() }),
    annotations: READ_ONLY,
    async run({ query, cursor, limit }, { conn }) {
      const needle = query.toLowerCase();
      let { s } = decodeCursor(cursor);
      const items = [];
      let scanned = 0;
      do {
        const { notes, next } = await chunk(conn, { chunkSize: '100' }, s);
        scanned += notes.length;
        s = next;
        for (const n of notes) {
          const text = `${n.title}\n${n.content ?? ''}`;
          const at = text.toLowerCase().indexOf(needle);
          if (at >= 0) items.push({ ...summary(n), excerpt: text.slice(Math.max(0, at - 80), at + needle.length + 80) });
        }
      } while (s && items.length < limit && scanned < SEARCH_SCAN_LIMIT);
      return { items, ...(s ? { nextCursor: encodeCursor({ o: 0, s }) } : {}) };
    },
  }),
  defineTool({
    name: 'notes_get',
    title: 'Read a note',
    description: 'Read one note with its full text and its etag (pass the etag to notes_update).',
    app: 'notes',
    input: z.object({ id: noteId }),
    output: fullNote,
    annotations: READ_ONLY,
    run: async ({ id }, { conn }) => full(await getNote(conn, id)),
  }),
  defineTool({
    name: 'notes_create',
    title: 'Create a note',
    description: 'Create a note. The title defaults to the first line of the content.',
    app: 'notes',
    input: z.object({ content: z.string(), title: z.string().max(200).optional(), category: z.string().max(200).optional(), favorite: z.boolean().optional() }),
    output: fullNote,
    annotations: CREATES,
    run: async (args, { conn }) => {
      const title =
        args.title ??
        (args.content.split('\n').find((l) => l.trim()) ?? '')
          .replace(/^#+\s*/, '')
          .trim()
          .slice(0, 100);
      return full((await conn.json<Note>('POST', API, { ...args, title }, { what: 'a new note' })).data);
    },
  }),
  defineTool({
    name: 'notes_update',
    title: 'Update a note',
    description:
      "Change a note's text, title, category or favorite flag; fields left out stay as they are. Pass the etag from notes_get so a concurrent edit is never overwritten: on a conflict, read the note again and redo the change.",
    app: 'notes',
    input: z.object({
      id: noteId,
      content: z.string().optional(),
      title: z.string().max(200).optional(),
      category: z.string().max(200).optional(),
      favorite: z.boolean().optional(),
      etag: etagInput,
    }),
    output: fullNote,
    annotations: CHANGES,
    async run({ id, etag, ...fields }, { conn }) {
      const current = etag ?? (await getNote(conn, id)).etag;
      return full(await putNote(conn, id, fields, current));
    },
  }),
  defineTool({
    name: 'notes_append',
    title: 'Append to a note',
    description: 'Add text at the end of a note (on a new line), keeping everything else.',
    app: 'notes',
    input: z.object({ id: noteId, text: z.string().min(1) }),
    output: fullNote,
    annotations: ADDS_TO,
    async run({ id, text }, { conn }) {
      for (let attempt = 0; ; attempt++) {
        const note = await getNote(conn, id);
        const content = note.content ? `${note.content.replace(/\n?$/, '\n')}${text}` : text;
        try {
          return full(await putNote(conn, id, { content }, note.etag));
        } catch (err) {
          if (!(err instanceof NextcloudError && err.kind === 'precondition') || attempt >= 2) throw err;
        }
      }
    },
  }),
  defineTool({
    name: 'notes_delete',
    title: 'Delete a note',
    description: 'Delete a note for good (the Notes app has no trash bin); read it first if unsure.',
    app: 'notes',
    input: z.object({ id: noteId }),
    output: done,
    annotations: DELETES,
    async run({ id }, { conn }) {
      await conn.json('DELETE', `${API}/${id}`, undefined, { what: `note ${id}` });
      return doneWith(`Deleted note ${id}.`);
    },
  }),
];
