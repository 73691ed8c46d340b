// mcpServers entries of the streamable-HTTP kind, in the shape of Claude Desktop / VS Code remote entries.
import { z } from 'zod';
import { backendFields, backendProtocol } from '../../../config/fields.js';

export const httpBackendSchema = z
  .object({
    type: z.enum(['http', 'streamable-http', 'streamableHttp']).optional(),
    url: z.url({ protocol: /^https?$/, error: 'give an http(s) URL, e.g. "http://127.0.0.1:3001/mcp"' }),
    headers: z.record(z.string(), z.string()).default({}),
    /**
     * Send each call with the caller's own bearer token instead of the configured Authorization
     * header. Only for a backend that is the same service as auth.external (e.g. Nextcloud).
     */
    forwardUserToken: z.boolean().default(false),
    protocol: backendProtocol.default('auto'),
    ...backendFields,
  })
  .strict();

export type HttpBackendConfig = z.infer<typeof httpBackendSchema>;
