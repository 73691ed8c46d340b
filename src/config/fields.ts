// Value rules several parts of the configuration share, also used by the plug-ins' own config
// schemas (identity sources, backend kinds), which import nothing else from config/.
import { z } from 'zod';

/** What every tool and prompt name Postern publishes matches (the model APIs' rule for tool names). */
export const PUBLISHED_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** A name that prefixes others (a backend, a static token, an upstream): letters, digits, "-", "_", no "__". */
export const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'use letters, digits, "-" and "_" only')
  .refine((s) => !s.includes('__'), 'must not contain "__" (it separates backend and tool names)');

/** The fields every kind of backend has (backends/kinds/<kind>/schema.ts). */
export const backendFields = {
  /** Set to true to keep the entry in the file but not start it. */
  disabled: z.boolean().default(false),
  /** How long one request to this backend may take before it fails, in milliseconds. */
  timeoutMs: z.number().int().positive().default(60_000),
  /**
   * What comes before "__" in the names of this backend's tools and prompts: true (its own
   * name), a string (a custom prefix, e.g. "gh"), or false (their own names, no prefix).
   */
  prefix: z.union([z.boolean(), name]).default(true),
  /** Tools and prompts listed under another name: { "<backend's name>": "<name to list>" }. */
  rename: z
    .record(z.string().min(1), z.string().regex(PUBLISHED_NAME, 'use 1 to 64 letters, digits, "_" or "-", e.g. "put_file"'))
    .refine((r) => new Set(Object.values(r)).size === Object.values(r).length, 'give each tool its own new name (two entries rename to the same one)')
    .default({}),
  /** Record tool-call arguments in the audit trail for this backend (off: arguments are never logged). */
  auditArguments: z.boolean().default(false),
};

/**
 * Which protocol era the connection to a backend speaks: `legacy` always opens a 2025-era session
 * (initialize); `auto` asks with server/discover first and takes 2026-07-28 when the backend
 * offers it, a 2025-era session otherwise; `2026-07-28` requires it. Over stdio, `auto` runs the
 * backend once more, briefly, to ask.
 */
export const backendProtocol = z.enum(['legacy', 'auto', '2026-07-28']);

/**
 * A per-client-address request limit (`perAddress` requests within `windowSeconds`; past it, 429
 * with Retry-After), with its defaults; `most` caps `perAddress`, with the reason its error gives.
 */
export const addressRateLimit = (perAddress: number, windowSeconds: number, most?: { perAddress: number; why: string }) => {
  const count = z.number().int().positive();
  return z
    .object({
      perAddress: (most ? count.max(most.perAddress, `use at most ${most.perAddress}, ${most.why}`) : count).default(perAddress),
      windowSeconds: z.number().int().positive().max(86_400, 'use at most 86400 (a day)').default(windowSeconds),
    })
    .strict()
    .prefault({});
};
