// identity.oidc[]: one upstream OpenID provider each (upstream.ts).
import { z } from 'zod';
import { name } from '../../config/fields.js';

export const oidcUpstreamSchema = z
  .object({
    /** Short name: the subject becomes "oidc:<id>:<upstream sub>". */
    id: name,
    /** Button text: "Sign in with <label>". */
    label: z.string().min(1),
    issuer: z.url({ protocol: /^https?$/, error: 'give the upstream issuer URL (its discovery document lives below it)' }),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1).optional(),
    scopes: z.string().default('openid profile email offline_access'),
    /** Which claims carry what. */
    claims: z
      .object({
        email: z.string().default('email'),
        name: z.string().default('name'),
        groups: z.string().default('groups'),
      })
      .strict()
      .prefault({}),
    timeoutMs: z.number().int().positive().default(10_000),
  })
  .strict();

export type OidcUpstreamConfig = z.infer<typeof oidcUpstreamSchema>;
