// mcpServers entries of the built-in kind: a toolset that runs inside Postern's process, named by
// `toolset`, with its own `settings` checked by the toolset's schema. The shorthand
// `{ builtin: <toolset>, …settings }` names the toolset and puts its settings beside the fields
// every backend has (prefix, rename, timeoutMs, …).
import { z } from 'zod';
import { backendFields } from '../../../config/fields.js';
import { NEXTCLOUD_TOOLSET, nextcloudSettingsSchema } from '../../../nextcloud/schema.js';

/**
 * The settings schema of every built-in toolset, by toolset name. A toolset adds its schema here
 * (a schema.ts of its own that imports only zod) and its definition to toolsets.ts.
 */
export const TOOLSET_SETTINGS: Record<string, z.ZodType> = {
  [NEXTCLOUD_TOOLSET]: nextcloudSettingsSchema,
};

/** Keys of an entry that belong to the backend, not to the toolset's settings. */
const ENTRY_KEYS = new Set([...Object.keys(backendFields), 'protocol']);

/** `{ builtin: x, a: 1, prefix: … }` → `{ type: built-in, toolset: x, builtin: x, settings: { a: 1 }, prefix: … }`. */
function expandShorthand(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !('builtin' in value) || 'type' in value) return value;
  const { builtin, ...rest } = value as Record<string, unknown>;
  const entry: Record<string, unknown> = { type: 'built-in', toolset: builtin, builtin };
  const settings: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(rest)) (ENTRY_KEYS.has(key) ? entry : settings)[key] = v;
  return { ...entry, settings };
}

export const builtInBackendSchema = z.preprocess(
  expandShorthand,
  z
    .object({
      type: z.literal('built-in'),
      toolset: z.string().min(1),
      /** Set when the entry was written as the shorthand; settings then sit beside the entry's fields. */
      builtin: z.string().optional(),
      settings: z.record(z.string(), z.unknown()).default({}),
      /** Built-in servers are started with a 2025-era handshake, replayed for each user. */
      protocol: z.literal('legacy').default('legacy'),
      ...backendFields,
    })
    .strict()
    .superRefine((entry, ctx) => {
      const key = entry.builtin !== undefined ? 'builtin' : 'toolset';
      const schema = TOOLSET_SETTINGS[entry.toolset];
      if (!schema) {
        const known = Object.keys(TOOLSET_SETTINGS);
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `no built-in toolset "${entry.toolset}"; ${known.length ? `use one of ${known.join(', ')}` : 'this build has none'}`,
        });
        return;
      }
      const parsed = schema.safeParse(entry.settings);
      if (parsed.success) return;
      // Issues name the key where it was written: beside `builtin`, or under `settings`.
      const under = entry.builtin !== undefined ? [] : ['settings'];
      for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: [...under, ...issue.path] } as never);
    }),
);

export type BuiltInBackendConfig = z.infer<typeof builtInBackendSchema>;
