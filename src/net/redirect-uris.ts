// The rules every redirect URI follows, whoever names it (a registration, a client ID metadata
// document, a pre-registered client in the config): a valid absolute URI, no script, data or file
// scheme, and no plain http except to the local machine (loopback.ts).
import { isLoopbackHost } from './loopback.js';

const FORBIDDEN_REDIRECT_SCHEMES = new Set(['javascript:', 'vbscript:', 'data:', 'blob:', 'file:', 'about:']);

/** Why `uri` cannot be a redirect URI, or undefined when it can. */
export function redirectUriProblem(uri: unknown): string | undefined {
  if (typeof uri !== 'string') return 'redirect_uris must be strings';
  const parsed = URL.parse(uri);
  if (!parsed) return `redirect URI "${uri}" is not a valid URI`;
  if (FORBIDDEN_REDIRECT_SCHEMES.has(parsed.protocol)) return `redirect URI scheme ${parsed.protocol} is not allowed`;
  if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname)) {
    return `redirect URI "${uri}" uses http on a non-loopback host; use https (or http://127.0.0.1 / localhost)`;
  }
  return undefined;
}

/** True when `uri` is an http(s) URI whose host is the local machine. */
export function isLoopbackRedirect(uri: unknown): boolean {
  const url = typeof uri === 'string' ? URL.parse(uri) : null;
  return !!url && /^https?:$/.test(url.protocol) && isLoopbackHost(url.hostname);
}
