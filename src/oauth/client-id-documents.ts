// Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document): a client whose
// client_id is an https URL with a path is described by the JSON document at that URL. oidc-provider
// implements the draft (its clientIdMetadataDocument feature: discovery's
// client_id_metadata_document_supported, the document's client_id equal to the URL, no shared
// secrets, its redirect URIs binding the flow, a cache bounded by the answer's cache headers);
// this module sets it up for Postern: which hosts may be asked (auth.clientIdMetadataDocuments
// .allowedHosts), and every fetch through the SSRF guard (net/guarded-fetch.ts). The document
// also meets registration-policy.ts's limits, as a "document" source.
import type { Configuration } from 'oidc-provider';
import type { Config } from '../config/schema.js';
import { globToRegExp } from '../config/glob.js';
import { createGuardedFetch, type GuardedFetch } from '../net/guarded-fetch.js';

type DocumentsConfig = Config['auth']['clientIdMetadataDocuments'];

/** oidc-provider's name for the version of the draft it implements. */
const DRAFT = 'draft-02';
/**
 * The most bytes of a document read (the draft suggests 5 KB), and of a jwks_uri (private_key_jwt
 * clients, with confidential clients allowed); a longer answer is refused as it streams in.
 */
export const DOCUMENT_MAX_BYTES = 5 * 1024;
/** The whole fetch, connection to last byte. oidc-provider gives up after 2.5 s on its own. */
const FETCH_TIMEOUT_MS = 5000;
/** Bounds on how long a fetched document is used, whatever its Cache-Control or Expires says. */
export const DOCUMENT_CACHE_SECONDS = { min: 60, max: 86_400 };

/** True when `clientId` is a metadata document URL rather than an id Postern gave out. */
export function isDocumentClientId(clientId: unknown): clientId is string {
  return typeof clientId === 'string' && /^https:\/\//i.test(clientId);
}

/** The host a document client is known by (shown on the consent page), or undefined for other clients. */
export function documentHost(clientId: unknown): string | undefined {
  return isDocumentClientId(clientId) ? (URL.parse(clientId)?.hostname ?? undefined) : undefined;
}

/** Is a document on `host` accepted? Patterns: "*", an exact host, "*.example.com". */
export function hostAllowed(patterns: string[], host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return patterns.some((p) => p === '*' || globToRegExp(p.toLowerCase()).test(h));
}

/** What oidc-provider fetches with: documents, and the jwks_uri of a document's client. */
export function documentFetch(config: DocumentsConfig, ca?: string[]): GuardedFetch {
  return createGuardedFetch({
    allowPrivateAddresses: config.allowPrivateAddresses,
    timeoutMs: FETCH_TIMEOUT_MS,
    maxBytes: DOCUMENT_MAX_BYTES,
    ca,
  });
}

/** oidc-provider's own limits per purpose (the guard's cut-off comes first and says why). */
export const fetchLimits = { 'client_id metadata document': DOCUMENT_MAX_BYTES, jwks_uri: DOCUMENT_MAX_BYTES, sector_identifier_uri: 0 };

/** The document URLs fetched while handling a request. */
const fetchedIn = new WeakMap<object, Set<string>>();

/** oidc-provider's clientIdMetadataDocument feature, as the config says. */
export function documentsFeature(config: DocumentsConfig): NonNullable<Configuration['features']>['clientIdMetadataDocument'] {
  return {
    enabled: config.enabled,
    ack: DRAFT,
    cacheDuration: DOCUMENT_CACHE_SECONDS,
    async allowFetch(ctx: object | undefined, clientId: string) {
      const url = URL.parse(clientId);
      if (!url || !hostAllowed(config.allowedHosts, url.hostname)) return false;
      // A fetched document is cached; asked for again within one request, the first fetch failed.
      // oidc-provider looks the client up once more to render the error: that is not fetched again.
      if (!ctx) return true;
      const asked = fetchedIn.get(ctx) ?? new Set<string>();
      fetchedIn.set(ctx, asked);
      if (asked.has(clientId)) return false;
      asked.add(clientId);
      return true;
    },
  } as never;
}
