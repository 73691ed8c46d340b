// The Nextcloud toolset's settings (mcpServers.<name> with `builtin: nextcloud`): which server,
// which tool families, read and time limits, and whose credentials the calls use. Imports only
// zod: the configuration check (backends/kinds/built-in/schema.ts) lists it.
import { z } from 'zod';

/** The tool families; each needs one Nextcloud app (see APP_CAPABILITY in capabilities.ts). */
export const NEXTCLOUD_APPS = ['files', 'notes', 'calendar', 'tasks', 'contacts', 'deck', 'sharing', 'talk', 'search', 'tables'] as const;

/** The toolset's name in `builtin:` / `toolset:`. */
export const NEXTCLOUD_TOOLSET = 'nextcloud';

const MIB = 1024 * 1024;

export const nextcloudSettingsSchema = z
  .object({
    /**
     * Nextcloud's base URL. Default: identity.nextcloud.url; in single-account mode also
     * NEXTCLOUD_URL or NEXTCLOUD_HOST (the configuration loader fills it in).
     */
    url: z
      .url({ protocol: /^https?$/, error: 'give the Nextcloud base URL, e.g. "https://cloud.example.com"' })
      .refine((u) => !/[?#]/.test(u), 'must not contain a query or fragment')
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
    /** Tool families to offer (default: all); an app the server does not run is left out anyway. */
    apps: z
      .array(z.enum(NEXTCLOUD_APPS))
      .min(1, `list at least one of ${NEXTCLOUD_APPS.join(', ')}`)
      .optional(),
    /** Largest file files_read and the files resource return; larger ones are refused, never buffered. */
    maxReadBytes: z
      .number()
      .int()
      .positive()
      .max(256 * MIB, 'use at most 268435456 bytes (256 MiB)')
      .default(MIB),
    /** Time limit of one request to Nextcloud, in milliseconds. */
    requestTimeoutMs: z.number().int().positive().default(30_000),
    /**
     * Resource-server-only mode behind Nextcloud's oidc app: call Nextcloud with the caller's own
     * bearer token (needs auth.external with the same Nextcloud as issuer).
     */
    forwardUserToken: z.boolean().default(false),
    /**
     * Everyone acts as one Nextcloud account (user / password, or NEXTCLOUD_USER / NEXTCLOUD_USERNAME
     * and NEXTCLOUD_PASSWORD). Off by default; Postern warns at start when it is on.
     */
    singleAccount: z.boolean().default(false),
    /** Single-account mode: the account's login name. */
    user: z.string().min(1).optional(),
    /** Single-account mode: its password (an app password is best). */
    password: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.singleAccount && s.forwardUserToken) {
      ctx.addIssue({ code: 'custom', path: ['singleAccount'], message: 'cannot be combined with forwardUserToken; choose one way to call Nextcloud' });
    }
    if (!s.singleAccount && (s.user !== undefined || s.password !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [s.user !== undefined ? 'user' : 'password'],
        message: 'is only used in single-account mode; set singleAccount: true or remove it (each user links their own account)',
      });
    }
  });

export type NextcloudSettings = z.infer<typeof nextcloudSettingsSchema>;
