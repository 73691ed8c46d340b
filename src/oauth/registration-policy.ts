// What a client's metadata may say, on top of oidc-provider's own checks. Always: no script or
// data redirect URIs, no plain http off loopback. At /register also: a size limit on every field,
// public clients only (token_endpoint_auth_method "none") unless auth.registration.allowConfidential,
// no URI Postern would have to fetch (jwks_uri, sector_identifier_uri), and redirect URIs on the
// operator's allowlist. A refusal is invalid_client_metadata (invalid_redirect_uri for
// redirect_uris) and names the field.
import { errors, type ClientAuthMethod } from 'oidc-provider';
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { isLoopbackHost } from '../net/loopback.js';

export type RegistrationPolicy = Config['auth']['registration'];

const FORBIDDEN_REDIRECT_SCHEMES = new Set(['javascript:', 'vbscript:', 'data:', 'blob:', 'file:', 'about:']);
const CONFIDENTIAL_AUTH_METHODS: ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt'];
/** Metadata naming a URL the authorization server would fetch: never accepted, whatever its host. */
const FETCHED_FIELDS = ['jwks_uri', 'sector_identifier_uri'];

const text = (max: number) => z.string().max(max, `at most ${max} characters`);
const list = (item: z.ZodType, max: number) => z.array(item).max(max, `at most ${max} entries`);
const uri = text(2000);

/** Size limits of the fields a registration may carry; every other accepted field gets OTHER_FIELD. */
export const FIELD_LIMITS: Record<string, z.ZodType> = {
  client_name: text(200),
  redirect_uris: list(uri, 10),
  client_uri: uri,
  logo_uri: uri,
  policy_uri: uri,
  tos_uri: uri,
  initiate_login_uri: uri,
  contacts: list(text(320), 5),
  scope: text(500),
  software_id: text(200),
  jwks: z
    .object({ keys: list(z.record(z.string(), z.unknown()), 5) })
    .refine((jwks) => JSON.stringify(jwks).length <= 8192, 'at most 8192 characters as JSON'),
};
const OTHER_FIELD = z.union([text(200), list(text(200), 10), z.number(), z.boolean(), z.null()], {
  error: 'expected a string of at most 200 characters, a list of at most 10 such strings, a number or a boolean',
});

/** The token endpoint (and revocation) authentication methods Postern accepts and advertises. */
export function clientAuthMethods(policy: RegistrationPolicy): ClientAuthMethod[] {
  return policy.allowConfidential ? ['none', ...CONFIDENTIAL_AUTH_METHODS] : ['none'];
}

/** Redirect-URI rules for every client: no script/data URIs, no plain http off loopback. */
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

const matches = (pattern: string, uri: string) => (pattern.endsWith('*') ? uri.startsWith(pattern.slice(0, -1)) : uri === pattern);

/** The operator's rules at registration: the allowlist, and loopback redirects by their own switch. */
function allowlistProblem(uri: string, policy: RegistrationPolicy): string | undefined {
  const url = URL.parse(uri);
  const loopback = !!url && /^https?:$/.test(url.protocol) && isLoopbackHost(url.hostname);
  if (loopback && policy.allowLoopbackRedirects) return undefined;
  if (policy.redirectUriAllowlist.some((pattern) => matches(pattern, uri))) return undefined;
  if (!loopback && policy.redirectUriAllowlist.length === 0) return undefined;
  return loopback ? `loopback redirect URI "${uri}" is not accepted by this server` : `redirect URI "${uri}" is not on this server's allowlist`;
}

function refuse(field: string, problem: string): never {
  throw new errors.InvalidClientMetadata(`${field}: ${problem}`);
}

function checkSizes(metadata: Record<string, unknown>): void {
  for (const [field, value] of Object.entries(metadata)) {
    if (value === undefined) continue;
    const result = (FIELD_LIMITS[field] ?? OTHER_FIELD).safeParse(value);
    if (result.success) continue;
    const issue = result.error.issues[0];
    const where = issue.path.length ? `${field}[${issue.path.join('].[')}]` : field;
    refuse(where, issue.message);
  }
}

/**
 * Checks a client's metadata: the redirect-URI rules always (a stored client is checked each time
 * it is loaded), the rest only when it registers, so later config does not judge stored clients.
 */
export function checkClientMetadata(metadata: Record<string, unknown>, policy: RegistrationPolicy, registering: boolean): void {
  if (registering) checkSizes(metadata);
  const redirectUris = (metadata.redirect_uris as unknown[] | undefined) ?? [];
  for (const uri of redirectUris) {
    // InvalidRedirectUri would answer "did not match any registered redirect_uris"; this keeps the
    // error code (invalid_redirect_uri, for a "redirect_uris" description) and says why.
    const problem = redirectUriProblem(uri);
    if (problem) refuse('redirect_uris', problem);
  }
  if (!registering) return;
  for (const field of FETCHED_FIELDS) {
    if (metadata[field] !== undefined) refuse(field, 'not accepted; this server fetches nothing a client names (give keys inline as jwks)');
  }
  if (!policy.allowConfidential) {
    if (metadata.token_endpoint_auth_method !== 'none') {
      refuse('token_endpoint_auth_method', 'only "none" is accepted; this server registers public clients only (use PKCE)');
    }
    if (metadata.jwks !== undefined) refuse('jwks', 'not accepted for a public client');
  }
  for (const uri of redirectUris as string[]) {
    const problem = allowlistProblem(uri, policy);
    if (problem) refuse('redirect_uris', problem);
  }
}
