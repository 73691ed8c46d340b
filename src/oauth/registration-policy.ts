// What a client's metadata may say, on top of oidc-provider's own checks. Always: no script or
// data redirect URIs, no plain http off loopback. At /register also: a size limit on every field,
// public clients only (token_endpoint_auth_method "none") unless auth.registration.allowConfidential,
// no URI Postern would have to fetch (jwks_uri, sector_identifier_uri), and redirect URIs on the
// operator's allowlist. A client ID metadata document meets the same limits and allowlist, holds no
// secret and no inline keys, and authenticates with "none" (or, where confidential clients are
// allowed, "private_key_jwt" with a jwks_uri). A refusal is invalid_client_metadata
// (invalid_redirect_uri for redirect_uris) and names the field.
import { errors, type ClientAuthMethod } from 'oidc-provider';
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { isLoopbackRedirect, redirectUriProblem } from '../net/redirect-uris.js';

export type RegistrationPolicy = Config['auth']['registration'];

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
  jwks_uri: uri,
  jwks: z.object({ keys: list(z.record(z.string(), z.unknown()), 5) }).refine((jwks) => JSON.stringify(jwks).length <= 8192, 'at most 8192 characters as JSON'),
};
const OTHER_FIELD = z.union([text(200), list(text(200), 10), z.number(), z.boolean(), z.null()], {
  error: 'expected a string of at most 200 characters, a list of at most 10 such strings, a number or a boolean',
});

/**
 * The token endpoint (and revocation) authentication methods Postern accepts and advertises: "none",
 * every confidential method when registration allows them, client secrets when a pre-registered
 * client has one.
 */
export function clientAuthMethods(policy: RegistrationPolicy, clientSecrets = false): ClientAuthMethod[] {
  if (policy.allowConfidential) return ['none', ...CONFIDENTIAL_AUTH_METHODS];
  return clientSecrets ? ['none', 'client_secret_basic', 'client_secret_post'] : ['none'];
}

const matches = (pattern: string, uri: string) => (pattern.endsWith('*') ? uri.startsWith(pattern.slice(0, -1)) : uri === pattern);

/** The operator's rules at registration: the allowlist, and loopback redirects by their own switch. */
function allowlistProblem(uri: string, policy: RegistrationPolicy): string | undefined {
  const loopback = isLoopbackRedirect(uri);
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
 * Where client metadata comes from: a registration at /register, a client ID metadata document
 * fetched from the client's own URL, or a client already stored or configured.
 */
export type MetadataSource = 'registration' | 'document' | 'stored';

function checkAuthMethod(metadata: Record<string, unknown>, policy: RegistrationPolicy, source: MetadataSource): void {
  const method = metadata.token_endpoint_auth_method;
  if (source === 'registration') {
    for (const field of FETCHED_FIELDS) {
      if (metadata[field] !== undefined) refuse(field, 'not accepted; this server fetches nothing a client names (give keys inline as jwks)');
    }
    if (policy.allowConfidential) return;
    if (method !== 'none') refuse('token_endpoint_auth_method', 'only "none" is accepted; this server registers public clients only (use PKCE)');
    if (metadata.jwks !== undefined) refuse('jwks', 'not accepted for a public client');
    return;
  }
  // A document cannot hold a secret; it proves nothing but its URL. Keys come from its jwks_uri,
  // fetched with the same guard as the document.
  if (metadata.sector_identifier_uri !== undefined) refuse('sector_identifier_uri', 'not accepted in a client ID metadata document');
  if (metadata.jwks !== undefined) refuse('jwks', 'not accepted in a client ID metadata document; publish the keys at a jwks_uri');
  const keyed = policy.allowConfidential && method === 'private_key_jwt' && metadata.jwks_uri !== undefined;
  if (method !== 'none' && !keyed) {
    refuse(
      'token_endpoint_auth_method',
      policy.allowConfidential
        ? 'a client ID metadata document may use only "none", or "private_key_jwt" with a jwks_uri'
        : 'a client ID metadata document may use only "none" on this server (use PKCE)',
    );
  }
  if (method === 'none' && metadata.jwks_uri !== undefined) refuse('jwks_uri', 'only with token_endpoint_auth_method "private_key_jwt"');
}

/**
 * Checks a client's metadata: the redirect-URI rules always (a stored client is checked each time
 * it is loaded); sizes, the authentication method and the operator's redirect-URI allowlist when
 * the metadata is new (a registration, a fetched document), so later config does not judge stored
 * clients.
 */
export function checkClientMetadata(metadata: Record<string, unknown>, policy: RegistrationPolicy, source: MetadataSource): void {
  if (source !== 'stored') checkSizes(metadata);
  const redirectUris = (metadata.redirect_uris as unknown[] | undefined) ?? [];
  for (const uri of redirectUris) {
    // InvalidRedirectUri would answer "did not match any registered redirect_uris"; this keeps the
    // error code (invalid_redirect_uri, for a "redirect_uris" description) and says why.
    const problem = redirectUriProblem(uri);
    if (problem) refuse('redirect_uris', problem);
  }
  if (source === 'stored') return;
  checkAuthMethod(metadata, policy, source);
  for (const uri of redirectUris as string[]) {
    const problem = allowlistProblem(uri, policy);
    if (problem) refuse('redirect_uris', problem);
  }
}
