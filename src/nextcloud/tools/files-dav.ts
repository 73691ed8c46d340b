// File tools that need raw WebDAV XML (fast-xml-parser): SEARCH by name, type and modification
// time; favorites (REPORT, PROPPATCH); versions and the trash bin (Nextcloud's DAV collections).
import { z } from 'zod';
import { encodePath, normalisePath, type NextcloudConnection } from '../connection.js';
import { DAV_NAMESPACES, isCollection, parseMultistatus, propText, xmlEscape, type DavEntry } from '../dav-xml.js';
import { CHANGES, defineTool, READ_ONLY, type AnyToolSpec } from '../define.js';
import { NextcloudError } from '../errors.js';
import { cursorInput, decodeCursor, encodeCursor, limitInput, pageOf } from '../paging.js';
import type { FileEntry } from '../webdav-client.js';
import { statPath } from './files.js';
import { done, doneWith, fileEntry, isoDateTime, pathInput } from './shared.js';

const PROPS = '<d:getlastmodified/><d:getcontentlength/><d:getcontenttype/><d:resourcetype/><d:getetag/><oc:fileid/><oc:favorite/><oc:size/>';

async function dav(conn: NextcloudConnection, method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<DavEntry[]> {
  const res = await conn.fetch(url, { method, body, headers: { 'content-type': 'application/xml; charset=utf-8', ...headers } });
  return parseMultistatus(await res.text());
}

function fileFromDav(conn: NextcloudConnection, e: DavEntry): FileEntry {
  const root = new URL(conn.filesRoot).pathname;
  const path = normalisePath(e.href.startsWith(root) ? e.href.slice(root.length) : e.href);
  const folder = isCollection(e.props);
  const mime = propText(e.props, 'getcontenttype');
  return {
    path,
    name: path.split('/').pop() ?? '',
    type: folder ? 'folder' : 'file',
    size: Number(propText(e.props, folder ? 'size' : 'getcontentlength') || 0),
    modified: new Date(propText(e.props, 'getlastmodified')).toISOString(),
    etag: propText(e.props, 'getetag').replace(/"/g, ''),
    ...(!folder && mime ? { mimeType: mime } : {}),
    fileId: propText(e.props, 'fileid'),
    favorite: propText(e.props, 'favorite') === '1',
  };
}

const epoch = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const compare = (op: 'gt' | 'lt', prop: string, literal: string | number) => `<d:${op}><d:prop><${prop}/></d:prop><d:literal>${literal}</d:literal></d:${op}>`;

const versionEntry = z.object({
  versionId: z.string(),
  modified: z.string(),
  size: z.number(),
  etag: z.string(),
  label: z.string().optional(),
  author: z.string().optional(),
});
const trashEntry = z.object({
  trashId: z.string(),
  name: z.string(),
  originalPath: z.string(),
  deletedAt: z.string(),
  type: z.enum(['file', 'folder']),
  size: z.number(),
});

export const filesDavTools: AnyToolSpec[] = [
  defineTool({
    name: 'files_search',
    title: 'Search files',
    description:
      'Find files and folders by name (substring, case-insensitive), type (file or folder), MIME type prefix (e.g. "image/") and modification time range, under a folder. Newest first, one page at a time.',
    app: 'files',
    input: z.object({
      name: z.string().max(200).optional().describe('Part of the file name.'),
      type: z.enum(['file', 'folder']).optional(),
      mimeType: z.string().max(100).optional().describe('A MIME type or prefix, e.g. "application/pdf" or "image/".'),
      modifiedAfter: isoDateTime('Only items modified after this time.').optional(),
      modifiedBefore: isoDateTime('Only items modified before this time.').optional(),
      under: pathInput('The folder to search in (default: all files).').default('/'),
      cursor: cursorInput,
      limit: limitInput(200, 50),
    }),
    output: z.object({ items: z.array(fileEntry), nextCursor: z.string().optional() }),
    annotations: READ_ONLY,
    async run(a, { conn }) {
      const where: string[] = [];
      if (a.name) where.push(`<d:like><d:prop><d:displayname/></d:prop><d:literal>%${xmlEscape(a.name.replace(/[%_]/g, ''))}%</d:literal></d:like>`);
      if (a.type === 'folder') where.push('<d:is-collection/>');
      if (a.type === 'file') where.push('<d:not><d:is-collection/></d:not>');
      if (a.mimeType) where.push(`<d:like><d:prop><d:getcontenttype/></d:prop><d:literal>${xmlEscape(a.mimeType.replace(/[%_]/g, ''))}%</d:literal></d:like>`);
      if (a.modifiedAfter) where.push(compare('gt', 'd:getlastmodified', epoch(a.modifiedAfter)));
      if (a.modifiedBefore) where.push(compare('lt', 'd:getlastmodified', epoch(a.modifiedBefore)));
      if (where.length === 0) where.push('<d:like><d:prop><d:displayname/></d:prop><d:literal>%</d:literal></d:like>');
      const { o } = decodeCursor(a.cursor);
      const scope = `/files/${encodeURIComponent(conn.caller.username)}${encodePath(normalisePath(a.under))}`;
      const body = `<?xml version="1.0"?><d:searchrequest ${DAV_NAMESPACES}><d:basicsearch>
<d:select><d:prop>${PROPS}</d:prop></d:select>
<d:from><d:scope><d:href>${xmlEscape(scope)}</d:href><d:depth>infinity</d:depth></d:scope></d:from>
<d:where>${where.length === 1 ? where[0] : `<d:and>${where.join('')}</d:and>`}</d:where>
<d:orderby><d:order><d:prop><d:getlastmodified/></d:prop><d:descending/></d:order></d:orderby>
<d:limit><d:nresults>${a.limit + 1}</d:nresults><nc:firstresult>${o}</nc:firstresult></d:limit>
</d:basicsearch></d:searchrequest>`;
      const found = (await dav(conn, 'SEARCH', `${conn.base}/remote.php/dav/`, body)).map((e) => fileFromDav(conn, e));
      const items = found.slice(0, a.limit);
      return { items, ...(found.length > a.limit ? { nextCursor: encodeCursor({ o: o + a.limit }) } : {}) };
    },
  }),
  defineTool({
    name: 'files_favorites',
    title: 'Favorite files',
    description: 'List the files and folders the user marked as favorites, one page at a time.',
    app: 'files',
    input: z.object({ cursor: cursorInput, limit: limitInput(500, 100) }),
    output: z.object({ items: z.array(fileEntry), nextCursor: z.string().optional() }),
    annotations: READ_ONLY,
    async run({ cursor, limit }, { conn }) {
      const body = `<?xml version="1.0"?><oc:filter-files ${DAV_NAMESPACES}><d:prop>${PROPS}</d:prop><oc:filter-rules><oc:favorite>1</oc:favorite></oc:filter-rules></oc:filter-files>`;
      const all = (await dav(conn, 'REPORT', `${conn.filesRoot}/`, body)).map((e) => fileFromDav(conn, e)).sort((x, y) => x.path.localeCompare(y.path));
      return pageOf(all, cursor, limit);
    },
  }),
  defineTool({
    name: 'files_set_favorite',
    title: 'Mark or unmark a favorite',
    description: 'Mark a file or folder as a favorite, or remove the mark.',
    app: 'files',
    input: z.object({ path: pathInput(), favorite: z.boolean().default(true) }),
    output: done,
    annotations: CHANGES,
    async run({ path, favorite }, { conn }) {
      const body = `<?xml version="1.0"?><d:propertyupdate ${DAV_NAMESPACES}><d:set><d:prop><oc:favorite>${favorite ? 1 : 0}</oc:favorite></d:prop></d:set></d:propertyupdate>`;
      await dav(conn, 'PROPPATCH', conn.fileUrl(path), body);
      return doneWith(`${normalisePath(path)} is ${favorite ? 'now' : 'no longer'} a favorite.`);
    },
  }),
  defineTool({
    name: 'files_versions_list',
    title: 'List file versions',
    description: 'List the earlier versions Nextcloud kept of a file (newest first). Restore one with files_versions_restore.',
    app: 'files',
    input: z.object({ path: pathInput('The file.') }),
    output: z.object({ path: z.string(), versions: z.array(versionEntry) }),
    annotations: READ_ONLY,
    async run({ path }, ctx) {
      const { conn } = ctx;
      const file = await statPath(ctx, path);
      const url = `${conn.base}/remote.php/dav/versions/${encodeURIComponent(conn.caller.username)}/versions/${file.fileId}`;
      const body = `<?xml version="1.0"?><d:propfind ${DAV_NAMESPACES}><d:prop><d:getlastmodified/><d:getcontentlength/><d:getetag/><nc:version-label/><nc:version-author/></d:prop></d:propfind>`;
      const entries = (await dav(conn, 'PROPFIND', url, body, { depth: '1' })).filter((e) => !e.href.replace(/\/$/, '').endsWith(`/${file.fileId}`));
      const versions = entries
        .map((e) => ({
          versionId: e.href.replace(/\/$/, '').split('/').pop()!,
          modified: new Date(propText(e.props, 'getlastmodified')).toISOString(),
          size: Number(propText(e.props, 'getcontentlength') || 0),
          etag: propText(e.props, 'getetag').replace(/"/g, ''),
          ...(propText(e.props, 'version-label') ? { label: propText(e.props, 'version-label') } : {}),
          ...(propText(e.props, 'version-author') ? { author: propText(e.props, 'version-author') } : {}),
        }))
        .sort((x, y) => y.modified.localeCompare(x.modified));
      return { path: file.path, versions };
    },
  }),
  defineTool({
    name: 'files_versions_restore',
    title: 'Restore a file version',
    description: 'Make an earlier version of a file (from files_versions_list) the current one. The current content is kept as a version itself.',
    app: 'files',
    input: z.object({
      path: pathInput('The file.'),
      versionId: z
        .string()
        .regex(/^[\w.-]{1,64}$/)
        .describe('The versionId from files_versions_list.'),
    }),
    output: done,
    annotations: CHANGES,
    async run({ path, versionId }, ctx) {
      const { conn } = ctx;
      const file = await statPath(ctx, path);
      const user = encodeURIComponent(conn.caller.username);
      const res = await conn.fetch(`${conn.base}/remote.php/dav/versions/${user}/versions/${file.fileId}/${versionId}`, {
        method: 'MOVE',
        what: `version ${versionId} of ${file.path}`,
        headers: { destination: `${conn.base}/remote.php/dav/versions/${user}/restore/target` },
      });
      await res.body?.cancel();
      return doneWith(`Restored version ${versionId} of ${file.path}.`);
    },
  }),
  defineTool({
    name: 'files_trash_list',
    title: 'List the trash bin',
    description: 'List deleted files and folders in the trash bin (newest deletion first), with their original paths. Restore one with files_trash_restore.',
    app: 'files',
    input: z.object({ cursor: cursorInput, limit: limitInput(500, 100) }),
    output: z.object({ items: z.array(trashEntry), nextCursor: z.string().optional() }),
    annotations: READ_ONLY,
    async run({ cursor, limit }, { conn }) {
      const url = `${conn.base}/remote.php/dav/trashbin/${encodeURIComponent(conn.caller.username)}/trash`;
      const body = `<?xml version="1.0"?><d:propfind ${DAV_NAMESPACES}><d:prop><d:resourcetype/><d:getcontentlength/><oc:size/><nc:trashbin-filename/><nc:trashbin-original-location/><nc:trashbin-deletion-time/></d:prop></d:propfind>`;
      const all = (await dav(conn, 'PROPFIND', url, body, { depth: '1' }))
        .filter((e) => propText(e.props, 'trashbin-filename'))
        .map((e) => ({
          trashId: e.href.replace(/\/$/, '').split('/').pop()!,
          name: propText(e.props, 'trashbin-filename'),
          originalPath: normalisePath(propText(e.props, 'trashbin-original-location')),
          deletedAt: new Date(Number(propText(e.props, 'trashbin-deletion-time')) * 1000).toISOString(),
          type: isCollection(e.props) ? ('folder' as const) : ('file' as const),
          size: Number(propText(e.props, 'size') || propText(e.props, 'getcontentlength') || 0),
        }))
        .sort((x, y) => y.deletedAt.localeCompare(x.deletedAt) || x.trashId.localeCompare(y.trashId));
      return pageOf(all, cursor, limit);
    },
  }),
  defineTool({
    name: 'files_trash_restore',
    title: 'Restore from the trash bin',
    description: 'Restore a deleted file or folder (trashId from files_trash_list) to its original place.',
    app: 'files',
    input: z.object({ trashId: z.string().min(1).max(512).describe('The trashId from files_trash_list.') }),
    output: done,
    annotations: CHANGES,
    async run({ trashId }, { conn }) {
      if (trashId.includes('/')) throw new NextcloudError('rejected', 'A trashId has no "/"; use the trashId from files_trash_list.');
      const root = `${conn.base}/remote.php/dav/trashbin/${encodeURIComponent(conn.caller.username)}`;
      const res = await conn.fetch(`${root}/trash/${encodeURIComponent(trashId)}`, {
        method: 'MOVE',
        what: `trash item ${trashId}`,
        headers: { destination: `${root}/restore/${encodeURIComponent(trashId)}` },
      });
      await res.body?.cancel();
      return doneWith(`Restored ${trashId} from the trash bin.`);
    },
  }),
];
