// Nextcloud failures as plain messages for a model: every HTTP status or network failure becomes a
// NextcloudError, and toolError() turns any error into an MCP tool error (isError: true), so a
// Nextcloud problem never surfaces as a JSON-RPC error.
import type { CallToolResult } from '@modelcontextprotocol/server';

export type FailureKind =
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'exists'
  | 'precondition'
  | 'locked'
  | 'quota'
  | 'throttled'
  | 'server'
  | 'timeout'
  | 'unreachable'
  | 'too-large'
  | 'cancelled'
  | 'rejected';

export class NextcloudError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status?: number,
    readonly details: { retryAfterSeconds?: number; currentEtag?: string } = {},
  ) {
    super(message);
    this.name = 'NextcloudError';
  }
}

/** Seconds from a Retry-After header (delta seconds or an HTTP date). */
export function retryAfterSeconds(header: string | null): number | undefined {
  if (!header) return undefined;
  const n = Number(header);
  if (Number.isFinite(n)) return Math.max(0, Math.ceil(n));
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** The server's own short explanation, from a DAV <s:message> or an OCS meta.message. */
export function serverMessage(body: string): string | undefined {
  const dav = /<s:message>([^<]{1,300})<\/s:message>/.exec(body)?.[1];
  if (dav) return dav.trim();
  try {
    const json = JSON.parse(body) as { ocs?: { meta?: { message?: string } }; message?: string; error?: string };
    const m = json.ocs?.meta?.message || json.message || json.error;
    return typeof m === 'string' && m ? m.slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}

/** The error for an HTTP answer of 400 or more; `what` names the thing asked for (a path, a note). */
export function errorForStatus(status: number, what: string, opts: { body?: string; retryAfter?: string | null; createOnly?: boolean }): NextcloudError {
  const said = opts.body ? serverMessage(opts.body) : undefined;
  const because = said ? ` (Nextcloud said: ${said})` : '';
  switch (status) {
    case 401:
      return new NextcloudError(
        'unauthorized',
        'Nextcloud did not accept your credentials (the app password may have been revoked). Reconnect your Nextcloud account, then try again.',
        status,
      );
    case 403:
      return new NextcloudError('forbidden', `Nextcloud refused access to ${what}: you do not have permission${because}.`, status);
    case 404:
      return new NextcloudError('not-found', `Not found in Nextcloud: ${what}.`, status);
    case 405:
      return new NextcloudError('conflict', `Nextcloud does not allow this on ${what}; it may already exist${because}.`, status);
    case 409:
      return new NextcloudError(
        'conflict',
        `Nextcloud reported a conflict for ${what}: the parent folder may be missing or the target is in use${because}.`,
        status,
      );
    case 412:
      return opts.createOnly
        ? new NextcloudError('exists', `${what} already exists; read it and update it with its ETag instead.`, status)
        : new NextcloudError('precondition', `${what} changed since you read it. Read it again, then retry with the new ETag.`, status);
    case 423:
      return new NextcloudError('locked', `${what} is locked in Nextcloud (probably open in another app); try again later.`, status);
    case 429: {
      const secs = retryAfterSeconds(opts.retryAfter ?? null);
      return new NextcloudError('throttled', `Nextcloud is throttling requests; retry after ${secs ?? 30} seconds.`, status, { retryAfterSeconds: secs ?? 30 });
    }
    case 507:
      return new NextcloudError('quota', `Not enough space in Nextcloud for ${what}: the storage quota is exceeded.`, status);
  }
  if (status >= 500) return new NextcloudError('server', `Nextcloud failed with an internal error (HTTP ${status}) on ${what}; try again later.`, status);
  return new NextcloudError('rejected', `Nextcloud rejected the request for ${what} (HTTP ${status})${because}.`, status);
}

/** A fetch failure (no HTTP answer): timeout, cancellation or an unreachable server. */
export function errorForNetwork(err: unknown, origin: string, timeoutMs: number, cancelled: boolean): NextcloudError {
  if (err instanceof NextcloudError) return err;
  const e = err as { name?: string; cause?: { code?: string; message?: string }; message?: string };
  if (cancelled) return new NextcloudError('cancelled', 'The request was cancelled.');
  if (e.name === 'TimeoutError' || e.name === 'AbortError') {
    return new NextcloudError('timeout', `Nextcloud at ${origin} did not answer within ${Math.round(timeoutMs / 1000)} seconds; try again later.`);
  }
  const code = e.cause?.code ?? e.cause?.message ?? e.message ?? 'network error';
  return new NextcloudError('unreachable', `Nextcloud at ${origin} is unreachable (${code}); try again later.`);
}

/** A failure that already is the tool result to answer with (e.g. "link your account first"). */
export class ResultError extends Error {
  constructor(readonly result: CallToolResult) {
    super(result.content.map((c) => (c.type === 'text' ? c.text : '')).join(' '));
    this.name = 'ResultError';
  }
}

/** Any error as a tool result the model can read. Non-Nextcloud errors keep their message. */
export function toolError(err: unknown): CallToolResult {
  if (err instanceof ResultError) return err.result;
  const message = err instanceof Error ? err.message : String(err);
  const e = err instanceof NextcloudError ? err : undefined;
  const meta = e ? { kind: e.kind, status: e.status, ...e.details } : undefined;
  return { isError: true, content: [{ type: 'text', text: message }], ...(meta ? { _meta: { nextcloud: meta } } : {}) };
}

/** A 412 conflict enriched with the item's current ETag, so the model can re-read and retry. */
export async function withCurrentEtag<T>(work: () => Promise<T>, currentEtag: () => Promise<string | undefined>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof NextcloudError) || err.kind !== 'precondition') throw err;
    const etag = await currentEtag().catch(() => undefined);
    if (!etag) throw err;
    throw new NextcloudError('precondition', `${err.message} Its current ETag is ${etag}.`, err.status, { currentEtag: etag });
  }
}
