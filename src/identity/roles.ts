// Roles from groups: the configured group → roles mapping plus a source's injected roles.
export function rolesFor(groups: string[], mapping: Record<string, string[]>, injected: string[] = []): string[] {
  const roles = new Set(injected);
  for (const g of groups) for (const r of mapping[g] ?? []) roles.add(r);
  return [...roles];
}
