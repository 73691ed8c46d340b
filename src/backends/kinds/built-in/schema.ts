// mcpServers entries of the built-in kind: a toolset that runs inside Postern's process, named by
// `toolset`, with its own `settings` checked by the toolset's schema.
import { z } from 'zod';
import { backendFields } from '../../../config/fields.js';

/**
 * The settings schema of every built-in toolset, by toolset name. A toolset adds its schema here
 * (a schema.ts of its own that imports only zod) and its definition to toolsets.ts.
 */
export const TOOLSET_SETTINGS: Record<string, z.ZodType> = {};

export const builtInBackendSchema = z
  .object({
    type: z.literal('built-in'),
    toolset: z.string().min(1),
    settings: z.record(z.string(), z.unknown()).default({}),
    /** Built-in servers are started with a 2025-era handshake, replayed for each user. */
    protocol: z.literal('legacy').default('legacy'),
    ...backendFields,
  })
  .strict()
  .superRefine((entry, ctx) => {
    const schema = TOOLSET_SETTINGS[entry.toolset];
    if (!schema) {
      const known = Object.keys(TOOLSET_SETTINGS);
      ctx.addIssue({
        code: 'custom',
        path: ['toolset'],
        message: `no built-in toolset "${entry.toolset}"; ${known.length ? `use one of ${known.join(', ')}` : 'this build has none'}`,
      });
      return;
    }
    const parsed = schema.safeParse(entry.settings);
    if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: ['settings', ...issue.path] } as never);
  });

export type BuiltInBackendConfig = z.infer<typeof builtInBackendSchema>;
