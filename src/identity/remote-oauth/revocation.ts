// Token revocation (RFC 7009) at a remote MCP server's authorization server when a user
// disconnects, with openid-client: the refresh token first (which ends the grant at most
// servers), then the access token. Servers without a revocation endpoint are skipped; the link is
// deleted either way.
import type { AuthorizationServerMetadata, FetchLike, OAuthClientInformationMixed } from '@modelcontextprotocol/client';
import * as oidc from 'openid-client';

export async function revokeTokens(
  metadata: AuthorizationServerMetadata,
  client: OAuthClientInformationMixed,
  tokens: Array<string | undefined>,
  fetchFn: FetchLike,
): Promise<boolean> {
  const revocation = metadata as { revocation_endpoint?: string; revocation_endpoint_auth_methods_supported?: string[] };
  if (!revocation.revocation_endpoint) return false;
  const secret = client.client_secret;
  const methods = revocation.revocation_endpoint_auth_methods_supported ?? metadata.token_endpoint_auth_methods_supported ?? [];
  const auth = !secret ? oidc.None() : methods.includes('client_secret_basic') ? oidc.ClientSecretBasic(secret) : oidc.ClientSecretPost(secret);
  const config = new oidc.Configuration(metadata as oidc.ServerMetadata, client.client_id, undefined, auth);
  config[oidc.customFetch] = fetchFn as never;
  if (new URL(revocation.revocation_endpoint).protocol === 'http:') oidc.allowInsecureRequests(config);
  for (const token of tokens) if (token) await oidc.tokenRevocation(config, token);
  return true;
}
