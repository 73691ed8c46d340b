// mcpServers entries of the stdio kind: a child process, in the shape of Claude Desktop's entries.
import { z } from 'zod';
import { backendFields, backendProtocol } from '../../../config/fields.js';

export const stdioBackendSchema = z
  .object({
    type: z.literal('stdio').optional(),
    command: z.string().min(1, 'give the program to run, e.g. "npx"'),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    cwd: z.string().optional(),
    protocol: backendProtocol.default('legacy'),
    ...backendFields,
  })
  .strict();

export type StdioBackendConfig = z.infer<typeof stdioBackendSchema>;
