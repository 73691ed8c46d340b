// How Postern names itself to a remote MCP server's authorization server, in this order: by its
// client ID metadata document (served at CLIENT_DOCUMENT_PATH under its public https URL) when
// the server supports those documents; by dynamic registration (RFC 7591, with the SDK's
// registerClient) when it has a registration endpoint, keeping the registration sealed in the
// store per backend; else (or when registration is refused) with the clientId (and clientSecret)
// configured for the backend.
import { registerClient, type AuthorizationServerMetadata, type FetchLike, type OAuthClientInformationMixed } from '@modelcontextprotocol/client';
import type { SettingStore } from '../../store/types.js';
import type { Sealer } from '../sealed.js';

/** Where Postern serves its own client ID metadata document, under its public URL. */
export const CLIENT_DOCUMENT_PATH = '/.well-known/postern-client.json';

export interface ClientIdentityDeps {
  /** Postern's public base URL. */
  issuer: string;
  settings: SettingStore;
  sealer: Sealer;
  fetchFn: FetchLike;
}

export interface ClientChoice {
  how: 'document' | 'registration' | 'configured';
  client: OAuthClientInformationMixed;
}

interface StoredRegistration {
  issuer: string;
  redirectUri: string;
  client: OAuthClientInformationMixed;
}

/** What Postern says about itself as a client, in its document and when it registers. */
export function clientMetadata(issuer: string, redirectUris: string[]) {
  return {
    client_name: `Postern at ${new URL(issuer).host}`,
    client_uri: issuer,
    redirect_uris: redirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    application_type: 'web' as const,
  };
}

/** Postern's client ID metadata document: `client_id` is its own URL; the callbacks of every per-user backend. */
export function clientDocument(issuer: string, redirectUris: string[]) {
  return { client_id: `${issuer}${CLIENT_DOCUMENT_PATH}`, ...clientMetadata(issuer, redirectUris) };
}

export class ClientIdentity {
  constructor(
    private readonly backend: string,
    private readonly configured: { clientId?: string; clientSecret?: string },
    private readonly deps: ClientIdentityDeps,
  ) {}

  private get key(): string {
    return `remote-oauth-client:${this.backend}`;
  }

  /** The client to use at the authorization server `metadata` describes, registering when that is the way. */
  async choose(authorizationServerUrl: string, metadata: AuthorizationServerMetadata, redirectUri: string, scope?: string): Promise<ClientChoice> {
    const { issuer } = this.deps;
    if (issuer.startsWith('https://') && metadata.client_id_metadata_document_supported === true) {
      return { how: 'document', client: { client_id: `${issuer}${CLIENT_DOCUMENT_PATH}` } };
    }
    const { clientId, clientSecret } = this.configured;
    const configured: ClientChoice | undefined = clientId
      ? { how: 'configured', client: { client_id: clientId, ...(clientSecret ? { client_secret: clientSecret } : {}) } }
      : undefined;
    if (metadata.registration_endpoint) {
      try {
        return { how: 'registration', client: await this.registered(authorizationServerUrl, metadata, redirectUri, scope) };
      } catch (err) {
        // Registration closed to Postern (an initial access token, a policy): the configured client, if any.
        if (configured) return configured;
        throw err;
      }
    }
    if (configured) return configured;
    throw new Error(
      `the authorization server ${metadata.issuer} accepts neither client ID metadata documents${issuer.startsWith('https://') ? '' : " (and Postern's own URL is not https)"} ` +
        `nor dynamic registration; register Postern there by hand with the redirect URI ${redirectUri} and set mcpServers.${this.backend}.clientId`,
    );
  }

  private async registered(url: string, metadata: AuthorizationServerMetadata, redirectUri: string, scope?: string): Promise<OAuthClientInformationMixed> {
    const sealed = await this.deps.settings.getSetting(this.key);
    if (sealed) {
      try {
        const stored = JSON.parse(this.deps.sealer.open(sealed, this.key)) as StoredRegistration;
        if (stored.issuer === metadata.issuer && stored.redirectUri === redirectUri) return stored.client;
      } catch {
        // Sealed under another secret, or damaged: register again.
      }
    }
    const full = await registerClient(url, {
      metadata,
      clientMetadata: clientMetadata(this.deps.issuer, [redirectUri]),
      scope,
      fetchFn: this.deps.fetchFn,
    });
    const client: OAuthClientInformationMixed = { client_id: full.client_id, ...(full.client_secret ? { client_secret: full.client_secret } : {}) };
    const stored: StoredRegistration = { issuer: metadata.issuer, redirectUri, client };
    await this.deps.settings.putSetting(this.key, this.deps.sealer.seal(JSON.stringify(stored), this.key));
    return client;
  }
}
