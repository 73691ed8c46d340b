// Fan-out of "this grant is gone" to listeners (the token guard drops cached verifications), and
// which grant an artifact belongs to.
export class GrantEvents {
  private readonly listeners = new Set<(grantId: string) => void>();

  on(listener: (grantId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(grantId: string): void {
    for (const l of this.listeners) l(grantId);
  }
}

/** The grant an oidc-provider artifact belongs to (a grant is its own). */
export function grantIdOf(model: string, id: string, payload: Record<string, unknown>): string | null {
  if (model === 'Grant') return id;
  return typeof payload.grantId === 'string' ? payload.grantId : null;
}
