// Postern's own client at the external authorization server, which introspection needs. A client
// ID and secret from the config win; otherwise Postern registers itself once (RFC 7591) as a
// confidential client, keeps the credentials in the store with the secret sealed, and registers
// again when they expire or the AS stops accepting them. The registration names Postern's /mcp URL
// as `resource_url` (Nextcloud's oidc app answers introspection only for tokens issued for it).
import * as oidc from 'openid-client';
import type { Logger } from 'pino';
import type { Sealer } from '../identity/sealed.js';
import type { SettingStore } from '../store/types.js';
import {
  AuthorizationServerUnavailable,
  discoveryOptions,
  type CredentialSource,
  type Credentials,
  type Discovered,
  type ExternalConfig,
} from './authorization-server.js';

interface StoredCredentials {
  clientId: string;
  sealedSecret?: string;
  expiresAt?: number;
  /** The resource_url it was registered with; another one (or none) means registering again. */
  resourceUrl?: string;
}

/** Re-register this long before the AS says the secret expires. */
const EXPIRY_MARGIN_S = 60;

export class ClientCredentials implements CredentialSource {
  private current?: Credentials;
  private registering?: Promise<Credentials>;
  private readonly key: string;

  constructor(
    private readonly cfg: ExternalConfig,
    private readonly store: SettingStore,
    private readonly sealer: Sealer,
    /** Redirect URI to register; Postern never sends a browser there, but servers insist on one. */
    private readonly redirectUri: string,
    /** Postern's /mcp URL: the resource whose tokens this client introspects. */
    private readonly resourceUrl: string,
    private readonly log: Logger,
  ) {
    this.key = `external-client:${cfg.issuer}`;
  }

  async get(discovered: Discovered): Promise<Credentials> {
    if (this.cfg.clientId) return { clientId: this.cfg.clientId, clientSecret: this.cfg.clientSecret };
    if (this.current && fresh(this.current)) return this.current;
    const stored = await this.load();
    if (stored && fresh(stored)) return (this.current = stored);
    this.registering ??= this.register(discovered).finally(() => (this.registering = undefined));
    return (this.current = await this.registering);
  }

  /** The AS refused `credentials`: forget them if Postern registered them, so the next call registers anew. */
  async rejected(credentials: Credentials): Promise<boolean> {
    if (!credentials.registered) {
      this.log.error({ clientId: credentials.clientId }, 'the external authorization server refuses auth.external.clientId/clientSecret; check them');
      return false;
    }
    if (this.current?.clientId === credentials.clientId) this.current = undefined;
    const stored = await this.load();
    if (stored?.clientId === credentials.clientId) await this.store.putSetting(this.key, '{}');
    return true;
  }

  private async load(): Promise<Credentials | undefined> {
    const raw = await this.store.getSetting(this.key);
    if (!raw) return undefined;
    try {
      const s = JSON.parse(raw) as StoredCredentials;
      if (!s.clientId || s.resourceUrl !== this.resourceUrl) return undefined;
      const clientSecret = s.sealedSecret ? this.sealer.open(s.sealedSecret, this.key) : undefined;
      return { clientId: s.clientId, clientSecret, expiresAt: s.expiresAt, registered: true };
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'stored client of the external authorization server is unreadable; registering again');
      return undefined;
    }
  }

  private async register({ meta, algorithm }: Discovered): Promise<Credentials> {
    if (!this.cfg.register) {
      throw new AuthorizationServerUnavailable(
        'no client at the external authorization server: set auth.external.clientId and clientSecret, or auth.external.register: true',
      );
    }
    if (!meta.registration_endpoint) {
      throw new AuthorizationServerUnavailable(
        `${this.cfg.issuer} offers no dynamic registration; register Postern there and set auth.external.clientId and clientSecret`,
      );
    }
    let registered: oidc.Configuration;
    try {
      registered = await oidc.dynamicClientRegistration(
        new URL(this.cfg.issuer),
        {
          client_name: 'Postern MCP gateway',
          redirect_uris: [this.redirectUri],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
          // Not RFC 7591; servers that do not know it ignore it.
          resource_url: this.resourceUrl,
        },
        undefined,
        discoveryOptions(this.cfg, algorithm),
      );
    } catch (err) {
      throw new AuthorizationServerUnavailable(`registering Postern at ${this.cfg.issuer} failed: ${(err as Error).message}`);
    }
    const m = registered.clientMetadata();
    if (this.cfg.audienceCheck === 'introspection' && m.resource_url !== this.resourceUrl) {
      throw new AuthorizationServerUnavailable(
        `${this.cfg.issuer} registered Postern without resource_url ${this.resourceUrl}, so its introspection answers do not show ` +
          'that a token was issued for Postern; auth.external.audienceCheck "introspection" needs an authorization server that keeps it ' +
          "(Nextcloud's oidc app), or register Postern there by hand with that resource URL and set auth.external.clientId and clientSecret",
      );
    }
    const expires = typeof m.client_secret_expires_at === 'number' && m.client_secret_expires_at > 0 ? m.client_secret_expires_at : undefined;
    const credentials: Credentials = { clientId: m.client_id, clientSecret: m.client_secret, expiresAt: expires, registered: true };
    const stored: StoredCredentials = {
      clientId: m.client_id,
      sealedSecret: m.client_secret ? this.sealer.seal(m.client_secret, this.key) : undefined,
      expiresAt: expires,
      resourceUrl: this.resourceUrl,
    };
    await this.store.putSetting(this.key, JSON.stringify(stored));
    this.log.info({ clientId: m.client_id, expiresAt: expires }, 'registered Postern at the external authorization server');
    return credentials;
  }
}

function fresh(c: Credentials): boolean {
  return c.expiresAt === undefined || c.expiresAt - EXPIRY_MARGIN_S > Date.now() / 1000;
}
