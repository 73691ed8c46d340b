// The configuration's client keys: client ID metadata documents (auth.clientIdMetadataDocuments),
// pre-registered clients (auth.clients), and the hashed-token form their secrets share with
// static tokens and the initial access token.
import { z } from 'zod';
import { redirectUriProblem } from '../net/redirect-uris.js';

/** A token known only by its hash, as `postern token hash` prints it. */
export const tokenHash = z.string().regex(/^sha256:[A-Za-z0-9_-]{43}$/, 'use the "sha256:…" value that `postern token hash` prints');

/**
 * Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document): a client whose
 * client_id is an https URL is described by the JSON document at that URL, fetched with an SSRF
 * guard. `true` / `false` are accepted for `{ enabled: … }`.
 */
export const clientIdMetadataDocumentsSchema = z.preprocess(
  (v) => (typeof v === 'boolean' ? { enabled: v } : v),
  z
    .object({
      enabled: z.boolean().default(true),
      /** Hosts whose documents are accepted: "*", an exact host, or "*.example.com" for its subdomains. */
      allowedHosts: z
        .array(z.string().regex(/^(?:\*|(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)$/, 'give a host name, "*.example.com" or "*"'))
        .min(1, 'list at least one host, or set enabled: false')
        .default(['*']),
      /** Fetch documents from loopback, private, link-local and other non-public addresses (tests, intranets). */
      allowPrivateAddresses: z.boolean().default(false),
    })
    .strict(),
);

/** A client that does not register itself, declared by the operator. */
export const preregisteredClientSchema = z
  .object({
    /** Its client_id: letters, digits, ".", "_", "~", "-" (never a URL: those are metadata documents). */
    id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/, 'use 1 to 128 letters, digits, ".", "_", "~" or "-", e.g. "mistral"')
      .refine((id) => !id.startsWith('postern-'), 'ids starting with "postern-" are Postern\'s own; choose another'),
    /** Shown on the consent page. */
    name: z.string().min(1).max(200),
    redirectUris: z
      .array(
        z.string().superRefine((uri, ctx) => {
          const problem = redirectUriProblem(uri);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
      )
      .min(1, 'list the redirect URIs the client uses, e.g. ["https://app.example/callback"]')
      .max(10),
    /** Hash of its client secret ("sha256:…" from `postern token hash`); absent: a public client (PKCE only). */
    secretHash: tokenHash.optional(),
    /** The scopes it may ask for; absent: any. */
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'a scope is one word, e.g. "mcp:tools"'))
      .min(1)
      .optional(),
  })
  .strict();
