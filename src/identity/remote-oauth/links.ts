// A user's link to a remote MCP server they signed in to (`auth: oauth` backends): the tokens its
// authorization server gave Postern for them, sealed in the store (identity/credentials.ts) for
// that user as the "oauth:<backend>" credential, and the flow they started and have not finished
// ("oauth-pending:<backend>": state, PKCE verifier, issuer). Each record names its backend and is
// refused under another one. A link the server refused is kept, marked stale, until the user
// connects again or disconnects.
import type { UpstreamCredentials } from '../credentials.js';

export interface RemoteLink {
  backend: string;
  /** The authorization server that issued the tokens. */
  issuer: string;
  clientId: string;
  accessToken: string;
  refreshToken?: string;
  /** When the access token expires (ms since the epoch); absent when the server did not say. */
  expiresAt?: number;
  /** Its lifetime in ms as given, to refresh it a fair share before it ends. */
  lifetimeMs?: number;
  scope?: string;
  linkedAt: number;
  /** Why the link stopped working; the user must connect again. */
  stale?: string;
}

export interface PendingLink {
  backend: string;
  state: string;
  verifier: string;
  issuer: string;
  clientId: string;
  scope?: string;
  at: number;
}

export const linkSource = (backend: string) => `oauth:${backend}`;
const pendingSource = (backend: string) => `oauth-pending:${backend}`;

function parse<T extends { backend: string }>(stored: string | undefined, backend: string): T | undefined {
  if (stored === undefined) return undefined;
  try {
    const value = JSON.parse(stored) as T;
    return value?.backend === backend ? value : undefined;
  } catch {
    return undefined;
  }
}

export class RemoteLinks {
  constructor(private readonly credentials: UpstreamCredentials) {}

  async get(subject: string, backend: string): Promise<RemoteLink | undefined> {
    const link = parse<RemoteLink>(await this.credentials.get(subject, linkSource(backend)).catch(() => undefined), backend);
    return link && typeof link.accessToken === 'string' ? link : undefined;
  }

  async put(subject: string, link: RemoteLink): Promise<void> {
    await this.credentials.put(subject, linkSource(link.backend), JSON.stringify(link));
  }

  async markStale(subject: string, backend: string, reason: string): Promise<void> {
    const link = await this.get(subject, backend);
    if (link && !link.stale) await this.put(subject, { ...link, stale: reason });
  }

  async remove(subject: string, backend: string): Promise<boolean> {
    return this.credentials.delete(subject, linkSource(backend));
  }

  async putPending(subject: string, pending: PendingLink): Promise<void> {
    await this.credentials.put(subject, pendingSource(pending.backend), JSON.stringify(pending));
  }

  /** The subject's unfinished flow for `backend`, removed as it is read: a callback is tried once. */
  async takePending(subject: string, backend: string): Promise<PendingLink | undefined> {
    const stored = await this.credentials.get(subject, pendingSource(backend)).catch(() => undefined);
    await this.credentials.delete(subject, pendingSource(backend));
    return parse<PendingLink>(stored, backend);
  }
}
