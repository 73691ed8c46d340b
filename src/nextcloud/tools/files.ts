// Files over WebDAV (the `webdav` library): list, stat, read, write, mkdir, move, copy, delete.
// Search, favorites, versions and the trash bin are in files-dav.ts.
import { z } from 'zod';
import type { FileStat, ResponseDataDetailed } from 'webdav';
import { normalisePath } from '../connection.js';
import { CHANGES, CREATES, defineTool, DELETES, READ_ONLY, Rich, type AnyToolSpec, type ToolContext } from '../define.js';
import { NextcloudError, withCurrentEtag } from '../errors.js';
import { fileUri, readFileBody } from '../file-read.js';
import { cursorInput, limitInput, pageOf } from '../paging.js';
import { FILE_PROPS_XML, quoteEtag, toEntry, withWebdav, type FileEntry } from '../webdav-client.js';
import { done, doneWith, etagInput, fileEntry, pathInput } from './shared.js';

const MAX_LISTED = 5000;

async function listFolder(ctx: ToolContext, path: string): Promise<FileEntry[]> {
  return withWebdav(ctx.conn, async (dav) => {
    const res = (await dav.getDirectoryContents(path, { details: true, data: FILE_PROPS_XML })) as ResponseDataDetailed<FileStat[]>;
    return res.data.map(toEntry);
  });
}

/** The entries under `path`, `depth` levels deep, sorted by path; bounded to MAX_LISTED. */
export async function listTree(ctx: ToolContext, path: string, depth: number): Promise<FileEntry[]> {
  const all: FileEntry[] = [];
  let level = [normalisePath(path)];
  for (let d = 0; d < depth && level.length > 0; d++) {
    const next: string[] = [];
    for (const folder of level) {
      const entries = await listFolder(ctx, folder);
      all.push(...entries);
      if (all.length > MAX_LISTED)
        throw new NextcloudError('too-large', `More than ${MAX_LISTED} entries under ${path}; list with a smaller depth or a sub-folder.`);
      next.push(...entries.filter((e) => e.type === 'folder').map((e) => e.path));
    }
    level = next;
  }
  return all.sort((a, b) => a.path.localeCompare(b.path));
}

export async function statPath(ctx: ToolContext, path: string): Promise<FileEntry> {
  return withWebdav(ctx.conn, async (dav) =>
    toEntry(((await dav.stat(normalisePath(path), { details: true, data: FILE_PROPS_XML })) as ResponseDataDetailed<FileStat>).data),
  );
}

const currentEtagOf = (ctx: ToolContext, path: string) => async () => (await statPath(ctx, path)).etag;

export const filesTools: AnyToolSpec[] = [
  defineTool({
    name: 'files_list',
    title: 'List files',
    description:
      "List the files and folders in a folder of the user's Nextcloud files, sorted by path, one page at a time. depth 1 lists the folder itself; 2 or 3 also list sub-folders. Pass nextCursor back as cursor to get the next page.",
    app: 'files',
    input: z.object({
      path: pathInput('The folder, e.g. "/" or "/Documents".').default('/'),
      depth: z.number().int().min(1).max(3).default(1).describe('How many folder levels to list (1-3).'),
      cursor: cursorInput,
      limit: limitInput(500, 100),
    }),
    output: z.object({ path: z.string(), items: z.array(fileEntry), nextCursor: z.string().optional() }),
    annotations: READ_ONLY,
    async run({ path, depth, cursor, limit }, ctx) {
      const page = pageOf(await listTree(ctx, path, depth), cursor, limit);
      return { path: normalisePath(path), ...page };
    },
  }),
  defineTool({
    name: 'files_stat',
    title: 'File details',
    description: 'Details of one file or folder: type, size, modification time, ETag (needed to update it safely), MIME type, file id, favorite.',
    app: 'files',
    input: z.object({ path: pathInput() }),
    output: fileEntry,
    annotations: READ_ONLY,
    run: ({ path }, ctx) => statPath(ctx, path),
  }),
  defineTool({
    name: 'files_read',
    title: 'Read a file',
    description:
      'Read a file. Text files come back as text; other files as a base64 blob resource. Files larger than the configured limit are refused (use files_stat to see the size first). The result includes the ETag to pass to files_write when changing the file.',
    app: 'files',
    input: z.object({ path: pathInput('The file, e.g. "/Documents/notes.txt".') }),
    output: z.object({
      path: z.string(),
      mimeType: z.string(),
      size: z.number(),
      etag: z.string(),
      encoding: z.enum(['utf-8', 'base64']),
      text: z.string().optional(),
    }),
    annotations: READ_ONLY,
    async run({ path }, ctx) {
      const body = await readFileBody(ctx.conn, path, ctx.maxReadBytes);
      const meta = { path: body.path, mimeType: body.mimeType, size: body.size, etag: body.etag };
      if (body.text !== undefined) return { ...meta, encoding: 'utf-8' as const, text: body.text };
      return new Rich({ ...meta, encoding: 'base64' as const }, [
        { type: 'text', text: JSON.stringify({ ...meta, encoding: 'base64' }) },
        { type: 'resource', resource: { uri: fileUri(body.path), mimeType: body.mimeType, blob: body.base64! } },
      ]);
    },
  }),
  defineTool({
    name: 'files_write',
    title: 'Write a file',
    description:
      'Create or replace a file. To replace an existing file pass the etag you read (the write is refused if the file changed since); set createOnly to refuse overwriting an existing file. Content is text, or base64 with encoding "base64". The parent folder must exist (see files_mkdir).',
    app: 'files',
    input: z.object({
      path: pathInput('The file to write, e.g. "/Documents/todo.md".'),
      content: z.string().describe('The new content.'),
      encoding: z.enum(['utf-8', 'base64']).default('utf-8'),
      etag: etagInput,
      createOnly: z.boolean().default(false).describe('Refuse if the file already exists.'),
    }),
    output: z.object({ path: z.string(), etag: z.string(), size: z.number(), created: z.boolean() }),
    annotations: CHANGES,
    async run({ path, content, encoding, etag, createOnly }, ctx) {
      const clean = normalisePath(path);
      const data = Buffer.from(content, encoding === 'base64' ? 'base64' : 'utf8');
      const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
      if (createOnly) headers['If-None-Match'] = '*';
      else if (etag) headers['If-Match'] = quoteEtag(etag);
      const res = await withCurrentEtag(
        () => withWebdav(ctx.conn, (dav) => dav.customRequest(clean, { method: 'PUT', headers, data }) as unknown as Promise<Response>),
        currentEtagOf(ctx, clean),
      );
      await res.body?.cancel();
      const newEtag = (res.headers.get('oc-etag') ?? res.headers.get('etag') ?? '').replace(/"/g, '');
      return { path: clean, etag: newEtag, size: data.byteLength, created: res.status === 201 };
    },
  }),
  defineTool({
    name: 'files_mkdir',
    title: 'Create a folder',
    description: 'Create a folder. With parents true, missing parent folders are created too (like mkdir -p).',
    app: 'files',
    input: z.object({ path: pathInput('The folder to create.'), parents: z.boolean().default(false) }),
    output: done,
    annotations: CREATES,
    async run({ path, parents }, ctx) {
      const clean = normalisePath(path);
      await withWebdav(ctx.conn, (dav) => dav.createDirectory(clean, { recursive: parents }));
      return doneWith(`Created folder ${clean}.`);
    },
  }),
  ...(['move', 'copy'] as const).map((op) =>
    defineTool({
      name: `files_${op}`,
      title: op === 'move' ? 'Move or rename' : 'Copy',
      description: `${op === 'move' ? 'Move or rename' : 'Copy'} a file or folder to a new path. An existing target is refused unless overwrite is true.`,
      app: 'files',
      input: z.object({
        from: pathInput('The source path.'),
        to: pathInput('The target path (including the new name).'),
        overwrite: z.boolean().default(false),
      }),
      output: done,
      annotations: op === 'move' ? CHANGES : { ...CREATES, destructiveHint: true },
      async run({ from, to, overwrite }, ctx) {
        const [src, dst] = [normalisePath(from), normalisePath(to)];
        await withWebdav(ctx.conn, (dav) => (op === 'move' ? dav.moveFile(src, dst, { overwrite }) : dav.copyFile(src, dst, { overwrite }))).catch((err) => {
          if (err instanceof NextcloudError && err.status === 412)
            throw new NextcloudError('exists', `${dst} already exists; pass overwrite true to replace it.`, 412);
          throw err;
        });
        return doneWith(`${op === 'move' ? 'Moved' : 'Copied'} ${src} to ${dst}.`);
      },
    }),
  ),
  defineTool({
    name: 'files_delete',
    title: 'Delete a file or folder',
    description:
      'Delete a file or folder (with its content). It goes to the trash bin, from where files_trash_restore can bring it back. Pass etag to refuse if it changed since you read it.',
    app: 'files',
    input: z.object({ path: pathInput(), etag: etagInput }),
    output: done,
    annotations: DELETES,
    async run({ path, etag }, ctx) {
      const clean = normalisePath(path);
      if (clean === '/') throw new NextcloudError('rejected', 'Refusing to delete the root folder.');
      await withCurrentEtag(
        () => withWebdav(ctx.conn, (dav) => dav.deleteFile(clean, etag ? { headers: { 'If-Match': quoteEtag(etag) } } : undefined)),
        currentEtagOf(ctx, clean),
      );
      return doneWith(`Deleted ${clean} (it is in the trash bin).`);
    },
  }),
];
