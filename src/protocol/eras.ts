// MCP protocol revisions, by era: the 2025-era ones open a session with initialize (and the lean
// HTTP paths, towards a backend and from a client, speak only those).
export const SESSION_ERA = new Set(['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25']);
