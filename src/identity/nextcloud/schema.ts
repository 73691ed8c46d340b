// identity.nextcloud: Nextcloud users, by name + app password (password/) or Login Flow v2 (login-flow/).
import { z } from 'zod';

export const nextcloudSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'give the Nextcloud base URL, e.g. "https://cloud.example.com"' }).transform((u) => u.replace(/\/+$/, '')),
    /** Check name + app password against the OCS user endpoint on the login form. */
    passwordLogin: z.boolean().default(true),
    /** Offer "Sign in with Nextcloud" (Login Flow v2): no password typed into Postern. */
    loginFlow: z.boolean().default(false),
    timeoutMs: z.number().int().positive().default(10_000),
  })
  .strict();

export type NextcloudConfig = z.infer<typeof nextcloudSchema>;
