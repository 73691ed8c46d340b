// The backend kinds, in the order an mcpServers entry is matched against them.
import type { BackendKind } from './kind.js';
import type { BackendConfig } from './schema.js';
import { builtInKind } from './built-in/kind.js';
import { builtInToolsets } from './built-in/toolsets.js';
import type { BuiltInToolset, CredentialLookup } from './built-in/toolset.js';
import { httpKind } from './http/kind.js';
import { NO_REMOTE_ACCESS, type RemoteAccess } from './http/remote-access.js';
import { stdioKind } from './stdio/kind.js';

export interface KindOptions {
  /** The built-in toolsets (default: this build's, toolsets.ts). */
  toolsets?: readonly BuiltInToolset[];
  /** The callers' upstream credentials, for built-in toolsets (default: none). */
  credentials?: CredentialLookup;
  /** The users' links to `auth: oauth` backends (default: none, so every user is asked to link). */
  remoteAccess?: RemoteAccess;
}

export function backendKinds(opts: KindOptions = {}): Array<BackendKind> {
  return [
    builtInKind(opts.toolsets ?? builtInToolsets(), opts.credentials ?? (async () => undefined)),
    stdioKind,
    httpKind(opts.remoteAccess ?? NO_REMOTE_ACCESS),
  ] as BackendKind[];
}

/** The kind an entry belongs to. */
export function kindOf(kinds: readonly BackendKind[], config: BackendConfig): BackendKind {
  const kind = kinds.find((k) => k.owns(config));
  if (!kind) throw new Error('an mcpServers entry of no known kind');
  return kind;
}
