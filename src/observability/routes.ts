// The route label of an HTTP request: one of a small fixed set, never the raw path, so that a
// client requesting made-up paths cannot grow the metrics without bound.

/** Paths served as they are. */
const EXACT = new Set([
  '/mcp',
  '/healthz',
  '/readyz',
  '/',
  '/metrics',
  '/.well-known/oauth-protected-resource',
  '/.well-known/oauth-protected-resource/mcp',
  '/.well-known/oauth-authorization-server',
  '/.well-known/openid-configuration',
  '/authorize',
  '/token',
  '/register',
  '/revoke',
  '/jwks',
  '/userinfo',
  '/introspect',
  '/par',
  '/logout',
  '/oidc/callback',
]);

/** Path prefixes whose rest is an id or a file: [prefix, label]. */
const PREFIXES: Array<[string, string]> = [
  ['/interaction/', '/interaction/:uid'],
  ['/authorize/', '/authorize/:uid'],
  ['/account', '/account'],
  ['/admin', '/admin'],
  ['/assets/', '/assets'],
  ['/logout/', '/logout'],
];

export const OTHER_ROUTE = 'other';

/** The route label of a request target ("/path?query"). */
export function routeOf(target: string | undefined): string {
  if (target === undefined) return OTHER_ROUTE;
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  if (EXACT.has(path)) return path;
  for (const [prefix, label] of PREFIXES) if (path.startsWith(prefix)) return label;
  return OTHER_ROUTE;
}
