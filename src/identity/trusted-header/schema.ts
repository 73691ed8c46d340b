// identity.trustedHeader: users a trusted reverse proxy has signed in (source.ts).
import { z } from 'zod';

export const trustedHeaderSchema = z
  .object({
    enabled: z.boolean().default(false),
    userHeader: z.string().min(1).default('X-Forwarded-User'),
    groupsHeader: z.string().min(1).default('X-Forwarded-Groups'),
    emailHeader: z.string().min(1).default('X-Forwarded-Email'),
    /** Peer addresses allowed to assert the headers, e.g. ["127.0.0.1/32"]. */
    trustedSourceCidrs: z.array(z.string()).default([]),
    /** Roles added to every token issued through this source. */
    injectedRoles: z.array(z.string().min(1)).default([]),
  })
  .strict();

export type TrustedHeaderConfig = z.infer<typeof trustedHeaderSchema>;
