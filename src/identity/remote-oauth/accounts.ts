// The users' links to every `auth: oauth` backend: one RemoteOAuthClient per backend, each with
// its own SSRF-guarded fetch (public https only, unless the backend's allowPrivateAddresses says
// otherwise), and Postern's client ID metadata document listing every backend's callback. The
// backend kind reaches it through its RemoteAccess seam, the account page through this class.
import type { FetchLike } from '@modelcontextprotocol/client';
import type { Logger } from 'pino';
import { cidrList } from '../../config/cidr.js';
import { createGuardedFetch } from '../../net/guarded-fetch.js';
import type { LinkRequired } from '../../protocol/link-required.js';
import type { SettingStore } from '../../store/types.js';
import type { UpstreamCredentials } from '../credentials.js';
import type { Sealer } from '../sealed.js';
import { clientDocument } from './client-identity.js';
import type { Leases } from '../../store/lease.js';
import { RemoteLinks } from './links.js';
import { RemoteOAuthClient, type RemoteBackend } from './remote-client.js';

/** The most bytes read of any metadata, registration or token answer. */
const MAX_ANSWER_BYTES = 256 * 1024;
const FETCH_TIMEOUT_MS = 10_000;

export interface RemoteBackendConfig extends RemoteBackend {
  allowPrivateAddresses: boolean | string[];
}

export interface RemoteAccountsDeps {
  issuer: string;
  credentials: UpstreamCredentials;
  leases: Leases;
  settings: SettingStore;
  sealer: Sealer;
  log: Logger;
  onLinkChanged?(subject: string): void;
  onLinked?(subject: string, backend: string): Promise<void>;
  /** Certificates (PEM) trusted besides the system's (tests with their own CA). */
  ca?: string[];
}

function guardedFetchFor(allow: boolean | string[], ca?: string[]): FetchLike {
  const allowPrivateAddresses = Array.isArray(allow) ? cidrList(allow) : allow;
  return createGuardedFetch({
    allowPrivateAddresses,
    allowLoopbackHttp: allow !== false,
    timeoutMs: FETCH_TIMEOUT_MS,
    maxBytes: MAX_ANSWER_BYTES,
    ca,
  }) as unknown as FetchLike;
}

export class RemoteAccounts {
  private readonly clients = new Map<string, RemoteOAuthClient>();

  constructor(
    backends: RemoteBackendConfig[],
    private readonly deps: RemoteAccountsDeps,
  ) {
    const links = new RemoteLinks(deps.credentials);
    for (const backend of backends) {
      this.clients.set(
        backend.name,
        new RemoteOAuthClient(backend, {
          issuer: deps.issuer,
          settings: deps.settings,
          sealer: deps.sealer,
          fetchFn: guardedFetchFor(backend.allowPrivateAddresses, deps.ca),
          links,
          leases: deps.leases,
          log: deps.log,
          accountUrl: `${deps.issuer}/account`,
          onLinkChanged: deps.onLinkChanged,
          onLinked: deps.onLinked,
        }),
      );
    }
  }

  /** The backends users can link, in configuration order. */
  get backends(): RemoteOAuthClient[] {
    return [...this.clients.values()];
  }

  client(backend: string): RemoteOAuthClient | undefined {
    return this.clients.get(backend);
  }

  private must(backend: string): RemoteOAuthClient {
    const client = this.clients.get(backend);
    if (!client) throw new Error(`"${backend}" is not an auth: oauth backend`);
    return client;
  }

  /** Postern's client ID metadata document (served at CLIENT_DOCUMENT_PATH). */
  document() {
    return clientDocument(
      this.deps.issuer,
      this.backends.map((c) => c.callbackUrl),
    );
  }

  // The backend kind's seam (backends/kinds/http/remote-access.ts).
  accessToken(backend: string, subject: string): Promise<string> {
    return this.must(backend).accessToken(subject);
  }

  refused(backend: string, subject: string): Promise<LinkRequired> {
    return this.must(backend).refused(subject);
  }

  async stepUp(backend: string, _subject: string, scope: string | undefined): Promise<LinkRequired> {
    return this.must(backend).stepUp(scope);
  }
}
