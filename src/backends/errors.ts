// Errors a backend call can end with, each carrying a message fit to show an MCP client.
export class BackendUnavailable extends Error {
  constructor(
    readonly backend: string,
    reason: string,
    retryInMs?: number,
  ) {
    super(`backend "${backend}" is unavailable: ${reason}${retryInMs !== undefined ? `; reconnecting in ${Math.ceil(retryInMs / 1000)}s` : ''}`);
    this.name = 'BackendUnavailable';
  }
}

export class UnknownTarget extends Error {
  constructor(kind: 'tool' | 'prompt' | 'resource', name: string) {
    super(
      kind === 'resource' ? `no backend serves resource "${name}"` : `unknown ${kind} "${name}"; ${kind} names look like <backend>__<name>, see ${kind}s/list`,
    );
    this.name = 'UnknownTarget';
  }
}
