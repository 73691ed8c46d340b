// An mcpServers entry: one of the backend kinds' own schemas (config/schema.ts uses this union).
import { z } from 'zod';
import { builtInBackendSchema } from './built-in/schema.js';
import { httpBackendSchema } from './http/schema.js';
import { stdioBackendSchema } from './stdio/schema.js';

export const backendSchema = z.union([stdioBackendSchema, httpBackendSchema, builtInBackendSchema], {
  error: 'a backend needs either "command" (stdio) or "url" (streamable HTTP)',
});

export type BackendConfig = z.infer<typeof backendSchema>;
