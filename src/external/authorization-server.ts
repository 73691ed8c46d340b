// The external authorization server of resource-server-only mode: its discovery document (OpenID
// or RFC 8414, read through openid-client), the warnings an operator needs when it lacks what MCP
// clients use, and the openid-client configuration Postern talks to it with — carrying Postern's
// own client credentials (see client-credentials.ts) for introspection.
import * as oidc from 'openid-client';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { VerifierUnavailable } from '../guard/types.js';

/** Postern's own client at the AS: configured, or registered by client-credentials.ts. */
export interface Credentials {
  clientId: string;
  clientSecret?: string;
  /** Epoch seconds after which the secret is no longer valid; absent: never. */
  expiresAt?: number;
  /** Registered by Postern (and so replaceable), not configured. */
  registered?: boolean;
}

/** Where the credentials come from (client-credentials.ts). */
export interface CredentialSource {
  get(discovered: Discovered): Promise<Credentials>;
  /** The AS refused these credentials: forget them when Postern registered them (true: try again). */
  rejected(credentials: Credentials): Promise<boolean>;
}

export type ExternalConfig = NonNullable<Config['auth']['external']>;

/** The AS could not be reached or answered nonsense: the request is retried later, never accepted. */
export class AuthorizationServerUnavailable extends VerifierUnavailable {
  constructor(message: string) {
    super(message);
    this.name = 'AuthorizationServerUnavailable';
  }
}

export type Algorithm = 'oidc' | 'oauth2';

export interface Discovered {
  meta: oidc.ServerMetadata;
  /** Which discovery found it (OpenID or RFC 8414); registration discovers the same way. */
  algorithm: Algorithm;
}

export function discoveryOptions(cfg: ExternalConfig, algorithm: Algorithm): oidc.DiscoveryRequestOptions {
  return {
    algorithm,
    timeout: Math.ceil(cfg.timeoutMs / 1000),
    ...(cfg.issuer.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : {}),
  };
}

/** Reads the AS's metadata: OpenID discovery first, then RFC 8414. */
export async function discover(cfg: ExternalConfig): Promise<Discovered> {
  const errors: string[] = [];
  for (const algorithm of ['oidc', 'oauth2'] as const) {
    try {
      const found = await oidc.discovery(new URL(cfg.issuer), 'postern', undefined, undefined, discoveryOptions(cfg, algorithm));
      return { meta: found.serverMetadata(), algorithm };
    } catch (err) {
      errors.push(`${algorithm === 'oidc' ? 'OpenID' : 'RFC 8414'} discovery: ${(err as Error).message}`);
    }
  }
  throw new AuthorizationServerUnavailable(`the authorization server ${cfg.issuer} cannot be discovered (${errors.join('; ')})`);
}

const NEEDS = { jwt: 'jwks_uri', introspection: 'introspection_endpoint', userinfo: 'userinfo_endpoint' } as const;

/** What MCP clients will miss at this AS, as operator-facing sentences. */
export function discoveryWarnings(meta: oidc.ServerMetadata, cfg: ExternalConfig): string[] {
  const warnings: string[] = [];
  if (!meta.code_challenge_methods_supported?.includes('S256')) {
    warnings.push('it does not advertise PKCE S256 (code_challenge_methods_supported); MCP clients require it and may refuse to sign in');
  }
  const cimd = (meta as { client_id_metadata_document_supported?: boolean }).client_id_metadata_document_supported === true;
  if (!meta.registration_endpoint && !cimd) {
    warnings.push(
      'it offers neither dynamic client registration nor client ID metadata documents; clients such as Claude.ai or ChatGPT cannot register and need a pre-registered client ID',
    );
  }
  const mode = cfg.verify;
  if (mode !== 'auto' && !meta[NEEDS[mode]]) warnings.push(`auth.external.verify is "${mode}" but it publishes no ${NEEDS[mode]}`);
  if (mode === 'auto' && !meta.jwks_uri && !meta.introspection_endpoint && !meta.userinfo_endpoint) {
    warnings.push('it publishes no jwks_uri, introspection_endpoint or userinfo_endpoint: no token can be verified');
  } else if (mode === 'auto' && !meta.introspection_endpoint && meta.userinfo_endpoint && cfg.audienceCheck !== 'none') {
    warnings.push(
      `it publishes no introspection_endpoint, and userinfo cannot tell whom a token was issued for: only JWTs${meta.jwks_uri ? '' : ' (and it publishes no jwks_uri)'} are accepted ` +
        'unless auth.external.audienceCheck is "none" (accepting tokens issued for other services)',
    );
  }
  return warnings;
}

export class ExternalAuthorizationServer {
  private discovered?: Promise<Discovered>;

  constructor(
    readonly cfg: ExternalConfig,
    private readonly credentials: CredentialSource,
    private readonly log: Logger,
  ) {}

  /** The discovery document, read once; a failure is retried on the next call. */
  async serverMetadata(): Promise<oidc.ServerMetadata> {
    return (await this.discovery()).meta;
  }

  private discovery(): Promise<Discovered> {
    this.discovered ??= discover(this.cfg).catch((err) => {
      this.discovered = undefined;
      throw err;
    });
    return this.discovered;
  }

  /** Reads discovery and logs what clients will miss; never throws (the AS may come up later). */
  async checkAtStart(): Promise<void> {
    try {
      const meta = await this.serverMetadata();
      for (const w of discoveryWarnings(meta, this.cfg)) this.log.warn({ issuer: this.cfg.issuer }, `external authorization server: ${w}`);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'external authorization server unreachable at start; tokens are refused until it answers');
    }
  }

  /** An openid-client configuration for calls that need Postern's client (introspection). */
  async withClient(): Promise<{ config: oidc.Configuration; credentials: Credentials }> {
    const discovered = await this.discovery();
    const credentials = await this.credentials.get(discovered);
    return { config: this.configuration(discovered.meta, credentials), credentials };
  }

  /** An openid-client configuration without client credentials (userinfo needs none). */
  async anonymous(): Promise<oidc.Configuration> {
    return this.configuration(await this.serverMetadata(), { clientId: 'postern' });
  }

  /** Drops registered credentials the AS no longer accepts; the next call registers anew. */
  async credentialsRejected(credentials: Credentials): Promise<boolean> {
    return this.credentials.rejected(credentials);
  }

  private configuration(meta: oidc.ServerMetadata, credentials: Credentials): oidc.Configuration {
    const auth = credentials.clientSecret
      ? (meta.introspection_endpoint_auth_methods_supported ?? meta.token_endpoint_auth_methods_supported ?? ['client_secret_basic']).includes(
          'client_secret_basic',
        )
        ? oidc.ClientSecretBasic(credentials.clientSecret)
        : oidc.ClientSecretPost(credentials.clientSecret)
      : oidc.None();
    const config = new oidc.Configuration(meta, credentials.clientId, credentials.clientSecret, auth);
    config.timeout = Math.ceil(this.cfg.timeoutMs / 1000);
    if (this.cfg.issuer.startsWith('http:')) oidc.allowInsecureRequests(config);
    return config;
  }
}
