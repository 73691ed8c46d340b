// Secrets written inline in a string, found by their shape and replaced by [redacted]: the
// password of a URL, the value of a secret-like `name=value` argument or query parameter, bearer
// and basic credentials, and secret-like header lines. The configuration page (admin/redact.ts)
// runs it over every configured string; backends run it over their error texts, which quote
// URLs and arguments and are shown on the admin console, to MCP callers and in the log.
export const REDACTED = '[redacted]';

/** The string with every inline secret it shows by its shape replaced by [redacted]. */
export function hideInlineSecrets(value: string): string {
  return (
    value
      // user:password@ in any URL-like text (postgres://, https://, redis://).
      .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):[^@/?#\s]*@/gi, `$1:${REDACTED}@`)
      // name=value of a secret-like name, as in a command-line argument or a query string.
      .replace(/((?:secret|passw\w*|pwd|token|api[-_]?key|key|auth\w*|sig|signature|credential\w*)=)[^&\s]+/gi, `$1${REDACTED}`)
      // An HTTP credential: "Bearer x", "Basic x", "Digest x".
      .replace(/\b(bearer|basic|digest)\s+[^\s"',;]+/gi, `$1 ${REDACTED}`)
      // A header line of a secret-like header: "Authorization: x", "X-Api-Key: x", "Cookie: x".
      .replace(/^([\w-]*(?:authori[sz]ation|key|token|secret|cookie|passw\w*|credential\w*|auth)[\w-]*\s*:\s*)(?!\/\/).+$/gim, `$1${REDACTED}`)
  );
}
