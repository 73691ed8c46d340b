// mcpServers entries of the streamable-HTTP kind, in the shape of Claude Desktop / VS Code remote
// entries; `auth: oauth` makes it a remote server each user signs in to on their own.
import { z } from 'zod';
import { backendFields, backendProtocol } from '../../../config/fields.js';

/** The keys that belong to `auth: oauth` only. */
const OAUTH_KEYS = ['scopes', 'clientId', 'clientSecret', 'allowPrivateAddresses'] as const;

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
    /**
     * `oauth`: each user links their own account at the server's authorization server (found
     * from its 401 and protected-resource metadata) on /account, and calls carry that user's token.
     */
    auth: z.literal('oauth', { error: 'the only value is "oauth" (per-user OAuth); leave auth out for none' }).optional(),
    /** With auth: oauth, the scopes to ask for; default: what the server's metadata names. */
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'a scope is one word, e.g. "read"'))
      .min(1)
      .optional(),
    /** With auth: oauth, a client id registered by hand, for an authorization server without metadata documents or registration. */
    clientId: z.string().min(1).max(512).optional(),
    /** The secret that goes with clientId, when the authorization server gave one. */
    clientSecret: z.string().min(1).max(512).optional(),
    /**
     * With auth: oauth, let the server's metadata and authorization server be at loopback,
     * private or link-local addresses (true: any; a list of CIDRs: those only), and at plain
     * http on loopback (intranets, tests). Default: public https addresses only.
     */
    allowPrivateAddresses: z.union([z.boolean(), z.array(z.string().min(1)).min(1)]).default(false),
    protocol: backendProtocol.default('auto'),
    ...backendFields,
  })
  .strict()
  .superRefine((entry, ctx) => {
    if (entry.auth !== 'oauth') {
      for (const key of OAUTH_KEYS) {
        if (key === 'allowPrivateAddresses' ? entry[key] !== false : entry[key] !== undefined) {
          ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" goes with auth: oauth; add auth: oauth or remove it` });
        }
      }
      return;
    }
    if (entry.forwardUserToken) {
      ctx.addIssue({ code: 'custom', path: ['forwardUserToken'], message: "auth: oauth sends each user's own token for this server; remove forwardUserToken" });
    }
    if (entry.prefix === false) {
      ctx.addIssue({ code: 'custom', path: ['prefix'], message: "a per-user backend's tools are routed by their prefix; use true or a custom prefix" });
    }
    if (entry.clientSecret !== undefined && entry.clientId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['clientSecret'], message: 'clientSecret needs the clientId it belongs to' });
    }
    if (Object.keys(entry.headers).some((h) => h.toLowerCase() === 'authorization')) {
      ctx.addIssue({ code: 'custom', path: ['headers'], message: 'auth: oauth sets Authorization itself; remove it from headers' });
    }
  });

export type HttpBackendConfig = z.infer<typeof httpBackendSchema>;

/** An entry with per-user OAuth. */
export type OAuthBackendConfig = HttpBackendConfig & { auth: 'oauth' };

export function isOAuthBackend(config: unknown): config is OAuthBackendConfig {
  return (config as { auth?: unknown } | undefined)?.auth === 'oauth';
}
