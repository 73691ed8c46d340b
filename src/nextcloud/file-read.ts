// Reading one file's body for files_read and the nextcloud://files/{path} resource: streamed,
// refused past maxReadBytes (never buffered beyond it), returned as text when it is UTF-8 text.
import { readCapped } from './bounded-body.js';
import { normalisePath, type NextcloudConnection } from './connection.js';

export interface FileBody {
  path: string;
  mimeType: string;
  etag: string;
  size: number;
  /** Set when the file is text (by type, and valid UTF-8). */
  text?: string;
  /** Set otherwise, base64. */
  base64?: string;
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-yaml|yaml|x-sh|sql|x-httpd-php|ld\+json|xhtml\+xml)|image\/svg\+xml)/;
const decoder = new TextDecoder('utf-8', { fatal: true });

export async function readFileBody(conn: NextcloudConnection, path: string, maxBytes: number): Promise<FileBody> {
  const clean = normalisePath(path);
  const res = await conn.fetch(conn.fileUrl(clean), { method: 'GET', what: clean, maxBytes });
  const bytes = await readCapped(res, maxBytes, clean);
  const mimeType = (res.headers.get('content-type') ?? 'application/octet-stream').split(';')[0]!.trim();
  const etag = (res.headers.get('etag') ?? '').replace(/"/g, '');
  const base = { path: clean, mimeType, etag, size: bytes.byteLength };
  if (TEXT_TYPES.test(mimeType) || bytes.byteLength === 0) {
    try {
      return { ...base, text: decoder.decode(bytes) };
    } catch {
      /* not UTF-8: binary */
    }
  }
  return { ...base, base64: bytes.toString('base64') };
}

/** The resource URI of a file. */
export function fileUri(path: string): string {
  return `nextcloud://files${normalisePath(path).split('/').map(encodeURIComponent).join('/')}`;
}
