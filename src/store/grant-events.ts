// Fan-out of "this grant is gone" to listeners (the token guard drops cached verifications; a
// withdrawn last grant ends the user's Nextcloud link), and which grant an artifact belongs to.

/** Whose the grant was; given when the grant record itself is destroyed. */
export interface RevokedGrant {
  accountId: string;
  clientId: string;
}

export type GrantListener = (grantId: string, grant?: RevokedGrant) => void;

export class GrantEvents {
  private readonly listeners = new Set<GrantListener>();

  on(listener: GrantListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(grantId: string, grant?: RevokedGrant): void {
    for (const l of this.listeners) l(grantId, grant);
  }
}

/** Whose a destroyed Grant record was, from its payload. */
export function revokedGrant(payload: Record<string, unknown> | undefined): RevokedGrant | undefined {
  return typeof payload?.accountId === 'string' && typeof payload.clientId === 'string'
    ? { accountId: payload.accountId, clientId: payload.clientId }
    : undefined;
}

/** The grant an oidc-provider artifact belongs to (a grant is its own). */
export function grantIdOf(model: string, id: string, payload: Record<string, unknown>): string | null {
  if (model === 'Grant') return id;
  return typeof payload.grantId === 'string' ? payload.grantId : null;
}
