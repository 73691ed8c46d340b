// One tool call's way to Nextcloud: the caller's credentials on every request, a time limit joined
// with the call's cancel signal, the origin's keep-alive pool, answers capped in size, and every
// HTTP failure thrown as a NextcloudError. Also the OCS and app-REST JSON helpers and DAV URLs.
import { cappedResponse, readCapped } from './bounded-body.js';
import { errorForNetwork, errorForStatus, NextcloudError } from './errors.js';
import { pooledFetch } from './pool.js';
import { DEFAULT_TIMEOUT_MS, type NextcloudCaller } from './types.js';

/** Largest non-file answer read (a PROPFIND listing, a REPORT, a JSON list). */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;
const ERROR_BODY_BYTES = 4096;
const RETRIED_STATUS = new Set([500, 502, 503, 504]);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PROPFIND', 'REPORT', 'SEARCH']); // reads only: a failed write may have half happened
const RETRY_DELAY_MS = 300;

export interface NcRequestInit extends RequestInit {
  /** Names the thing asked for in error messages (a file path, "note 12"). */
  what?: string;
  /** Overrides MAX_ANSWER_BYTES for this answer. */
  maxBytes?: number;
  /** 404 is an answer, not an error (existence checks). */
  allow404?: boolean;
}

/** Encodes each segment of a slash-separated path, keeping the slashes. */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** Normalises a user-supplied file path to "/a/b" (no trailing slash, no "." or ".." segments). */
export function normalisePath(path: string): string {
  const parts: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') throw new NextcloudError('rejected', `The path ${path} may not contain "..".`);
    parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

export class NextcloudConnection {
  readonly base: string;
  readonly origin: string;
  readonly authorization: string;

  constructor(
    readonly caller: NextcloudCaller,
    readonly signal?: AbortSignal,
    readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {
    this.base = caller.baseUrl.replace(/\/+$/, '');
    this.origin = new URL(this.base).origin;
    const c = caller.credential;
    const login = caller.loginName ?? caller.username;
    this.authorization = c.kind === 'basic' ? `Basic ${Buffer.from(`${login}:${c.appPassword}`).toString('base64')}` : `Bearer ${c.token}`;
  }

  /** The DAV root of the user's files, e.g. https://cloud/remote.php/dav/files/alice */
  get filesRoot(): string {
    return `${this.base}/remote.php/dav/files/${encodeURIComponent(this.caller.username)}`;
  }

  /** A file's WebDAV URL. */
  fileUrl(path: string): string {
    return this.filesRoot + encodePath(normalisePath(path));
  }

  /** fetch with auth, timeout, pool, size cap; throws NextcloudError for any status ≥ 400. */
  fetch = async (input: string | URL, init: NcRequestInit = {}): Promise<Response> => {
    const url = String(input);
    const what = init.what ?? this.describe(url);
    const headers = new Headers(init.headers);
    headers.set('authorization', this.authorization);
    if (!headers.has('user-agent')) headers.set('user-agent', 'Postern MCP gateway');
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = this.signal ? AbortSignal.any([this.signal, timeout, ...(init.signal ? [init.signal] : [])]) : timeout;
    let res: Response;
    try {
      res = await pooledFetch(url, { ...init, headers, signal, redirect: 'manual' });
      if (RETRIED_STATUS.has(res.status) && IDEMPOTENT.has((init.method ?? 'GET').toUpperCase())) {
        // One retry after a moment: a busy server (e.g. SQLite "database is locked") often recovers.
        await res.body?.cancel();
        await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
        res = await pooledFetch(url, { ...init, headers, signal, redirect: 'manual' });
      }
    } catch (err) {
      throw errorForNetwork(err, this.origin, this.timeoutMs, this.signal?.aborted === true);
    }
    if (res.status === 404 && init.allow404) {
      await res.body?.cancel();
      return res;
    }
    if (res.status >= 400 || (res.status >= 300 && res.status < 400 && res.status !== 304)) {
      const body = await readCapped(res, ERROR_BODY_BYTES, what)
        .then((b) => b.toString('utf8'))
        .catch(() => '');
      if (res.status < 400)
        throw new NextcloudError('rejected', `Nextcloud redirected the request for ${what} (HTTP ${res.status}); check the Nextcloud URL.`, res.status);
      throw errorForStatus(res.status, what, { body, retryAfter: res.headers.get('retry-after'), createOnly: headers.get('if-none-match') === '*' });
    }
    return cappedResponse(res, init.maxBytes ?? MAX_ANSWER_BYTES, `Nextcloud's answer for ${what}`);
  };

  /** A user-facing name for a URL: the file path for WebDAV file URLs, else the URL path. */
  describe(url: string): string {
    const path = new URL(url, this.base).pathname;
    const files = new URL(this.filesRoot).pathname;
    if (path.startsWith(files)) return decodeURIComponent(path.slice(files.length)) || '/';
    const user = encodeURIComponent(this.caller.username);
    const dav = /\/remote\.php\/dav\/(?:calendars|addressbooks\/users)\/([^/]+)\/(.+)$/.exec(path);
    if (dav && dav[1] === user) return decodeURIComponent(dav[2]!.replace(/\/$/, ''));
    return path.replace(new URL(this.base).pathname.replace(/\/$/, ''), '') || '/';
  }

  /** An OCS API call (JSON); returns ocs.data. `params` go in the query for GET, the body otherwise. */
  async ocs<T>(method: string, path: string, params: Record<string, unknown> = {}, what?: string): Promise<T> {
    const url = new URL(`${this.base}/ocs/v2.php${path}`);
    url.searchParams.set('format', 'json');
    const hasBody = method !== 'GET' && method !== 'DELETE';
    if (!hasBody) for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, String(v));
    const res = await this.fetch(url, {
      method,
      what,
      headers: { 'ocs-apirequest': 'true', accept: 'application/json', ...(hasBody ? { 'content-type': 'application/json' } : {}) },
      body: hasBody ? JSON.stringify(params) : undefined,
    });
    const body = (await res.json()) as { ocs?: { data?: T } };
    return body.ocs?.data as T;
  }

  /** An app's plain JSON REST call under /index.php (Notes, Deck, Tables v1). */
  async json<T>(
    method: string,
    path: string,
    body?: unknown,
    opts: { what?: string; headers?: Record<string, string> } = {},
  ): Promise<{ data: T; etag?: string }> {
    const res = await this.fetch(`${this.base}/index.php${path}`, {
      method,
      what: opts.what,
      headers: {
        'ocs-apirequest': 'true',
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...opts.headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { data: (text ? JSON.parse(text) : undefined) as T, etag: res.headers.get('etag') ?? undefined };
  }
}
