// What an `auth: oauth` backend needs from the part that holds the users' links (identity/
// remote-oauth/, wired in by postern.ts): the calling user's access token for the backend, kept
// fresh, what to answer when the backend refuses it, and the protocol era found for it. Every
// "you must link first" is a LinkRequired error (protocol/link-required.ts) that the MCP face
// turns into its answer.
import type { LinkRequired } from '../../../protocol/link-required.js';

export interface RemoteAccess {
  /** The user's current access token for `backend` (refreshed when it is about to expire); throws LinkRequired when there is none. */
  accessToken(backend: string, subject: string): Promise<string>;
  /** The backend answered 401 to the user's token: their link is stale; what to tell them. */
  refused(backend: string, subject: string): Promise<LinkRequired>;
  /** The backend answered 403 insufficient_scope (asking for `scope`): what to tell the user to grant more. */
  stepUp(backend: string, subject: string, scope: string | undefined): Promise<LinkRequired>;
  /** The protocol era last found for `backend` (`protocol: auto`, era-detection.ts), or undefined. */
  era(backend: string): Promise<string | undefined>;
  /** Remembers the era found for `backend`, for every process on the store. */
  rememberEra(backend: string, era: string): Promise<void>;
}

/** Until postern.ts connects the real one: every user must link, and nobody can yet. */
export const NO_REMOTE_ACCESS: RemoteAccess = {
  accessToken: async () => {
    throw new Error("per-user OAuth backends need Postern's own authorization server (the /account page); auth.external has none");
  },
  refused: async () => {
    throw new Error('per-user OAuth is not set up');
  },
  stepUp: async () => {
    throw new Error('per-user OAuth is not set up');
  },
  era: async () => undefined,
  rememberEra: async () => {},
};
