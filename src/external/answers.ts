// What a failed call to the external authorization server (introspection, userinfo) means: a 4xx
// answer, whatever its body or headers (Nextcloud's oidc app answers a bad token with a bare
// 400), refuses the token; only a timeout, a connection failure or a 5xx is an outage (503).
import * as oidc from 'openid-client';

/** The HTTP status the AS answered with, when the error came from an answer (not from the network). */
export function statusOf(err: unknown): number | undefined {
  if (err instanceof oidc.ResponseBodyError || err instanceof oidc.WWWAuthenticateChallengeError) return err.status;
  // openid-client keeps a non-conforming answer (unexpected status or content type) as the cause: a
  // fetch Response, though not always of the global class (@hono/node-server replaces that one).
  const cause = (err as { cause?: { status?: unknown; headers?: unknown } } | undefined)?.cause;
  return typeof cause?.status === 'number' && typeof cause.headers === 'object' ? cause.status : undefined;
}

/** True when the AS answered with a 4xx: the token (or the request about it) is refused. */
export function isRefusal(err: unknown): boolean {
  const status = statusOf(err);
  return status !== undefined && status >= 400 && status < 500;
}

/** The OAuth error code of the answer, or its status, for messages. */
export function describeRefusal(err: unknown): string {
  if (err instanceof oidc.ResponseBodyError) return `${err.status} ${err.error}`;
  if (err instanceof oidc.WWWAuthenticateChallengeError) return `${err.status} ${err.cause[0]?.parameters.error ?? 'challenge'}`;
  return String(statusOf(err));
}
