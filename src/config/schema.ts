// The configuration's shape: every key Postern reads, its default, and the rule it must obey.
// Validated once at start (see load.ts); everything downstream receives a typed `Config`.
import { z } from 'zod';
import { addressRateLimit, name } from './fields.js';
import { backendSchema } from '../backends/kinds/schema.js';
import { localSchema } from '../identity/local/schema.js';
import { nextcloudSchema } from '../identity/nextcloud/schema.js';
import { oidcUpstreamSchema } from '../identity/oidc/schema.js';
import { trustedHeaderSchema } from '../identity/trusted-header/schema.js';
import { metricsSchema, tracingSchema } from '../telemetry/schema.js';
import { DEFAULT_MCP_BODY_LIMIT, DEFAULT_TIMEOUTS } from './limits.js';
import { clientIdMetadataDocumentsSchema, preregisteredClientSchema, tokenHash } from './client-schemas.js';

const KIB = 1024;

const duration = z.number().int().positive();

/**
 * A redirect URI a registration may name: the exact URI, or a prefix ending in "*". An http(s)
 * prefix must reach past the host ("https://app.example/*", not "https://app.example*").
 */
const redirectPattern = z
  .string()
  .min(1)
  .refine((p) => !p.slice(0, -1).includes('*'), 'only a trailing "*" is allowed, e.g. "https://app.example/oauth/*"')
  .refine((p) => (p.endsWith('*') ? /^[a-z][a-z0-9+.-]*:/i.test(p) : URL.canParse(p)), 'give an absolute URI, e.g. "https://app.example/callback"')
  .refine(
    (p) => !p.endsWith('*') || !/^https?:/i.test(p) || /^https?:\/\/[^/?#*]+\//i.test(p),
    'a prefix must include the host and the "/" after it, e.g. "https://app.example/*", so that no other host matches',
  );

/** Dynamic client registration (RFC 7591) at /register: who may register what, and for how long. */
const registrationSchema = z
  .object({
    /** Accept confidential clients (client secrets, private_key_jwt with inline jwks); false: public clients only. */
    allowConfidential: z.boolean().default(false),
    /** Redirect URIs a registration may name: exact URIs or prefixes ending in "*". Empty: any allowed URI. */
    redirectUriAllowlist: z.array(redirectPattern).default([]),
    /** Accept loopback redirect URIs (desktop apps) whether or not they are on the allowlist. */
    allowLoopbackRedirects: z.boolean().default(true),
    /** Hash of the initial access token /register then requires as a bearer (RFC 7591 §3). Absent: open registration. */
    initialAccessToken: tokenHash.optional(),
    /** Registrations per client address within the window; past it, 429 with Retry-After. */
    rateLimit: addressRateLimit(20, 600),
    /** A client that never got a token is deleted after this many seconds. */
    unfinishedClientTtl: duration.default(24 * 3600),
    /** A client with no token issued or refreshed for this many seconds is deleted; 0 keeps clients forever. */
    idleClientTtl: z
      .number()
      .int()
      .min(0)
      .default(90 * 24 * 3600),
  })
  .strict();

export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        /** The public base URL clients use, e.g. https://mcp.example.com. Default: http://host:port. */
        issuer: z
          .url({ protocol: /^https?$/, error: 'give the public base URL, e.g. "https://mcp.example.com"' })
          .refine((u) => !/[?#]/.test(u), 'must not contain a query or fragment')
          .optional(),
        /** Trust X-Forwarded-For/-Proto from the reverse proxy in front of Postern. */
        trustProxy: z.boolean().default(false),
        /** Origins allowed to call /mcp from a browser; "*" allows any (tokens still required). */
        corsOrigins: z.array(z.string()).default(['*']),
        /** Show backend names, states and errors on "/" and /healthz to anyone (off: counts only). */
        publicStatus: z.boolean().default(false),
        /** Largest POST /mcp body in bytes; a larger one is refused with 413 while it is read. */
        mcpBodyLimit: z
          .number()
          .int()
          .min(KIB, 'use at least 1024 bytes')
          .max(256 * KIB * KIB, 'use at most 268435456 bytes (256 MiB)')
          .default(DEFAULT_MCP_BODY_LIMIT),
        /** How long clients may take to send a request, and how long idle connections stay open. */
        timeouts: z
          .object({
            headersMs: duration.default(DEFAULT_TIMEOUTS.headersMs),
            requestMs: duration.default(DEFAULT_TIMEOUTS.requestMs),
            keepAliveMs: duration.default(DEFAULT_TIMEOUTS.keepAliveMs),
          })
          .strict()
          .prefault({})
          .refine((t) => t.headersMs <= t.requestMs, {
            path: ['headersMs'],
            error: 'must not be larger than server.timeouts.requestMs (the whole request includes its headers)',
          }),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        /** false serves /mcp without any token (loopback binds only). */
        enabled: z.boolean().default(true),
        /** Secret for cookies, CSRF tokens and encryption at rest; generated and kept in dataDir when absent. */
        secret: z.string().min(32, 'use at least 32 characters, e.g. the output of `openssl rand -base64 32`').optional(),
        accessTokenTtl: duration.default(3600),
        refreshTokenTtl: duration.default(30 * 24 * 3600),
        authorizationCodeTtl: duration.default(60),
        sessionTtl: duration.default(14 * 24 * 3600),
        registration: registrationSchema.prefault({}),
        /**
         * Authorization requests (GET and POST /authorize, POST /par) per client address within the
         * window; each may store a sign-in (an hour) or a pushed request. Past it, 429 with Retry-After.
         */
        authorizationRateLimit: addressRateLimit(300, 600),
        clientIdMetadataDocuments: clientIdMetadataDocumentsSchema.prefault({}),
        /** Clients that do not register themselves (`postern client add` keeps more in the store). */
        clients: z
          .array(preregisteredClientSchema)
          .refine((list) => new Set(list.map((c) => c.id)).size === list.length, 'give each client its own id')
          .default([]),
        /**
         * Resource-server-only mode: trust this external authorization server instead of running
         * Postern's own (no sign-in pages, no token endpoint; /mcp verifies the AS's tokens).
         */
        external: z
          .object({
            /** The AS's issuer; its discovery document (RFC 8414 or OpenID) lives below it. */
            issuer: z
              .url({ protocol: /^https?$/, error: 'give the authorization server\'s issuer URL, e.g. "https://sso.example.com/realms/mcp"' })
              .transform((u) => u.replace(/\/+$/, '')),
            /** How tokens are checked: "auto" = JWTs by the AS's JWKS, other tokens by introspection, else userinfo. */
            verify: z.enum(['auto', 'jwt', 'introspection', 'userinfo']).default('auto'),
            /** Accepted "aud" values when a token carries one. Default: the /mcp URL and the public base URL. */
            audience: z.array(z.string().min(1)).optional(),
            /**
             * How a token is known to be issued for Postern. "claim": its aud must name Postern.
             * "introspection": the AS answers introspection `active` only for tokens issued for
             * Postern's resource (Nextcloud's oidc app, Postern's client registered with resource_url);
             * the answer's aud is not checked (JWTs still are). "none": no check — a token the AS issued
             * for another service is accepted here.
             */
            audienceCheck: z.enum(['claim', 'introspection', 'none']).default('claim'),
            /** Postern's own client at the AS (for introspection). Absent: registered dynamically and kept. */
            clientId: z.string().min(1).optional(),
            clientSecret: z.string().min(1).optional(),
            /** Register Postern as a confidential client when no clientId is given and the AS allows it. */
            register: z.boolean().default(true),
            /** Cache verified tokens this long at most, in seconds (never past the token's expiry). */
            cacheTtl: z.number().int().min(0).max(3600).default(3600),
            /** Scopes advertised in protected-resource metadata and required per MCP method. */
            scopes: z.array(z.string().min(1)).optional(),
            /** false: accept tokens whatever their scope (for an AS that cannot issue MCP scopes). */
            enforceScopes: z.boolean().default(true),
            /** Claims that carry the user and their groups (mapped to roles by identity.groupRoles). */
            claims: z
              .object({ subject: z.string().default('sub'), groups: z.string().default('groups') })
              .strict()
              .prefault({}),
            timeoutMs: z.number().int().positive().default(10_000),
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    identity: z
      .object({
        local: localSchema.prefault({}),
        /** Nextcloud as an identity source: users sign in with their Nextcloud name and an app password. */
        nextcloud: nextcloudSchema.optional(),
        /** Upstream OpenID Connect providers (Keycloak, Google, Entra, Authentik, Nextcloud oidc, …). */
        oidc: z.array(oidcUpstreamSchema).default([]),
        /** Users signed in by a trusted reverse proxy's headers (e.g. oauth2-proxy, Authelia). */
        trustedHeader: trustedHeaderSchema.prefault({}),
        /** Upstream group → Postern roles, applied to every source that reports groups. */
        groupRoles: z.record(z.string(), z.array(z.string().min(1))).default({}),
        /** Bearer tokens for CI and scripts: name → { hash, roles }. `postern token create` makes them. */
        staticTokens: z
          .record(
            name,
            z
              .object({
                hash: tokenHash,
                roles: z.array(z.string().min(1)).default([]),
              })
              .strict(),
          )
          .default({}),
      })
      .strict()
      .prefault({}),
    /** Who may use which tools and prompts: ordered rules, first match decides. */
    policy: z
      .object({
        rules: z
          .array(
            z
              .object({
                /** Any of these roles (absent: any caller). */
                roles: z.array(z.string().min(1)).optional(),
                /** Client id globs (absent: any client). */
                clients: z.array(z.string().min(1)).optional(),
                /** Globs over "<backend>__<tool>"; "!glob" excludes. */
                tools: z.array(z.string().min(1)).min(1, 'list at least one tool pattern, e.g. "*" or "everything__*"'),
                policy: z.enum(['allow', 'deny']),
              })
              .strict(),
          )
          .default([]),
        /**
         * Limits on registered clients, whatever their user may do: the first entry whose match
         * fits the client applies (e.g. a web connector limited to read-only tools).
         */
        clients: z
          .array(
            z
              .object({
                match: z
                  .object({
                    /** Glob over the client's registered client_name. */
                    name: z.string().min(1).optional(),
                    /** Glob over the host of any of its redirect URIs. */
                    redirectHost: z.string().min(1).optional(),
                    /** Glob over its client_id. */
                    clientId: z.string().min(1).optional(),
                  })
                  .strict()
                  .refine((m) => m.name ?? m.redirectHost ?? m.clientId, 'give name, redirectHost or clientId'),
                /** The caller's roles are cut down to these. */
                roles: z.array(z.string().min(1)).optional(),
                /** Only tools/prompts matching these globs ("!glob" excludes). */
                tools: z.array(z.string().min(1)).optional(),
                /** Only tools a backend marks readOnlyHint. */
                readOnly: z.boolean().default(false),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .prefault({}),
    /** The MCP endpoint. */
    mcp: z
      .object({
        /**
         * 2025-era sessions (initialize + Mcp-Session-Id), held in memory. Past perClient or
         * perUser the caller's own oldest session is closed; past max, the oldest session of the
         * user holding the most.
         */
        sessions: z
          .object({
            /** Sessions open at once, all users together. */
            max: z.number().int().positive().default(10_000),
            /** One user's sessions, all clients together. */
            perUser: z.number().int().positive().default(100),
            /** One user's sessions through one client. */
            perClient: z.number().int().positive().default(50),
            /** Seconds without a request after which a session is closed. */
            idleTtl: duration.default(1800),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    dataDir: z.string().min(1).default('./data'),
    store: z
      .object({
        driver: z.enum(['sqlite', 'postgres', 'memory']).default('sqlite'),
        /** SQLite file; default <dataDir>/postern.db. */
        path: z.string().optional(),
        /** PostgreSQL connection URL (driver postgres); also POSTERN_DATABASE_URL or DATABASE_URL. */
        url: z.string().optional(),
        /** PostgreSQL connections one process keeps open at most (driver postgres). */
        pool: z.number().int().min(2).max(200).default(10),
      })
      .strict()
      .prefault({}),
    /** Backends, keyed by the name that prefixes their tools. Absent: the bundled demo backend. */
    mcpServers: z.record(name, backendSchema).optional(),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        /** One log line per HTTP request (route, status, duration). */
        access: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    metrics: metricsSchema,
    tracing: tracingSchema,
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

/** Whether Postern is its own authorization server (auth on, no auth.external). */
export const ownsAuthorization = (config: Config): boolean => config.auth.enabled && !config.auth.external;
export type { BackendConfig } from '../backends/kinds/schema.js';
