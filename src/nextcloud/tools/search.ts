// Unified search (OCS core search API): the providers, and a search in one or all of them.
import { z } from 'zod';
import type { NextcloudConnection } from '../connection.js';
import { defineTool, READ_ONLY, type AnyToolSpec } from '../define.js';
import { NextcloudError } from '../errors.js';

interface Provider {
  id: string;
  name: string;
}
interface SearchResult {
  name: string;
  isPaginated: boolean;
  cursor?: string | number | null;
  entries: Array<{ title: string; subline: string; resourceUrl: string }>;
}

const MAX_PROVIDERS = 12;
const providers = (conn: NextcloudConnection) => conn.ocs<Provider[]>('GET', '/search/providers', {}, 'the search providers');

export const searchTools: AnyToolSpec[] = [
  defineTool({
    name: 'search_providers',
    title: 'List search providers',
    description: "List what Nextcloud's unified search can search in (files, notes, calendar, contacts, Deck, Talk, …), by id.",
    app: 'search',
    input: z.object({}),
    output: z.object({ providers: z.array(z.object({ id: z.string(), name: z.string() })) }),
    annotations: READ_ONLY,
    run: async (_a, { conn }) => ({ providers: (await providers(conn)).map((p) => ({ id: p.id, name: p.name })) }),
  }),
  defineTool({
    name: 'search',
    title: 'Search Nextcloud',
    description:
      "Search across the user's Nextcloud with its unified search (the search box of the web interface). Give providers to narrow it (ids from search_providers); with a single provider, pass the cursor back for more results.",
    app: 'search',
    input: z.object({
      term: z.string().min(1).max(200),
      providers: z
        .array(z.string().regex(/^[\w.-]{1,64}$/))
        .max(MAX_PROVIDERS)
        .optional(),
      limit: z.number().int().min(1).max(50).default(10).describe('Results per provider.'),
      cursor: z.string().max(200).optional(),
    }),
    output: z.object({
      results: z.array(z.object({ provider: z.string(), title: z.string(), subline: z.string(), url: z.string() })),
      nextCursor: z.string().optional(),
    }),
    annotations: READ_ONLY,
    async run({ term, providers: only, limit, cursor }, { conn }) {
      const ids = only ?? (await providers(conn)).map((p) => p.id).slice(0, MAX_PROVIDERS);
      if (cursor && ids.length !== 1) throw new NextcloudError('rejected', 'A cursor works with exactly one provider.');
      const results = [];
      let nextCursor: string | undefined;
      for (const id of ids) {
        const r = await conn.ocs<SearchResult>(
          'GET',
          `/search/providers/${encodeURIComponent(id)}/search`,
          { term, limit, ...(cursor ? { cursor } : {}) },
          `search provider ${id}`,
        );
        results.push(...r.entries.map((e) => ({ provider: id, title: e.title, subline: e.subline, url: e.resourceUrl })));
        if (ids.length === 1 && r.isPaginated && r.cursor !== null && r.cursor !== undefined && r.entries.length === limit) nextCursor = String(r.cursor);
      }
      return { results, ...(nextCursor ? { nextCursor } : {}) };
    },
  }),
];
