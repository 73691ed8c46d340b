// Fan-out of "this grant is gone" to listeners (the token guard drops cached verifications).
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
