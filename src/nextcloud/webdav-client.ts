// The `webdav` library bound to one tool call's connection. The library sends requests through a
// process-wide patchable fetch; we patch it once to send through the connection of the call that
// is running (found with AsyncLocalStorage), so credentials, time limits, the origin's pool, the
// size cap and error mapping apply to it as to every other Nextcloud request.
import { AsyncLocalStorage } from 'node:async_hooks';
import { AuthType, createClient, getPatcher, type FileStat, type WebDAVClient } from 'webdav';
import type { NextcloudConnection } from './connection.js';
import { normalisePath } from './connection.js';
import { propText } from './dav-xml.js';

const current = new AsyncLocalStorage<NextcloudConnection>();
let patched = false;

function patchOnce(): void {
  if (patched) return;
  patched = true;
  getPatcher().patch('fetch', (...args: unknown[]) => {
    const [url, init] = args as [string, RequestInit];
    const conn = current.getStore();
    if (!conn) throw new Error('webdav request outside a Nextcloud tool call');
    return conn.fetch(url, init);
  });
}

/** Runs `work` with a webdav client rooted at the caller's files. */
export function withWebdav<T>(conn: NextcloudConnection, work: (client: WebDAVClient) => Promise<T>): Promise<T> {
  patchOnce();
  const client = createClient(conn.filesRoot, { authType: AuthType.None });
  return current.run(conn, () => work(client));
}

/** Nextcloud's extra properties, asked for in every listing. */
export const FILE_PROPS_XML = `<?xml version="1.0"?>
<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns">
  <d:prop><d:getlastmodified/><d:getcontentlength/><d:getcontenttype/><d:resourcetype/><d:getetag/>
  <oc:fileid/><oc:favorite/><oc:permissions/><oc:size/></d:prop>
</d:propfind>`;

export interface FileEntry {
  path: string;
  name: string;
  type: 'file' | 'folder';
  size: number;
  modified: string;
  etag: string;
  mimeType?: string;
  fileId?: string;
  favorite?: boolean;
}

export function toEntry(s: FileStat): FileEntry {
  const props = (s.props ?? {}) as Record<string, unknown>;
  const folder = s.type === 'directory';
  const size = folder ? Number(propText(props, 'size') || 0) : s.size;
  const fileId = propText(props, 'fileid');
  return {
    path: normalisePath(s.filename),
    name: s.basename,
    type: folder ? 'folder' : 'file',
    size: Number.isFinite(size) ? size : 0,
    modified: new Date(s.lastmod).toISOString(),
    etag: s.etag ?? '',
    ...(!folder && s.mime ? { mimeType: s.mime } : {}),
    ...(fileId ? { fileId } : {}),
    favorite: propText(props, 'favorite') === '1',
  };
}

/** An ETag as Nextcloud expects it in If-Match (quoted). */
export function quoteEtag(etag: string): string {
  return etag.startsWith('"') || etag.startsWith('W/') ? etag : `"${etag}"`;
}
