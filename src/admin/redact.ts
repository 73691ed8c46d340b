// The effective configuration with its secrets taken out, for the configuration page: every
// string under a secret-like key (secret, password, token, credential, key, hash, cookie,
// authorization, …), every value of a backend's `env` and `headers`, the password of any URL
// that carries one, and the value of a `token=…`-like argument. Numbers and booleans stay (`accessTokenTtl`, `passwordLogin`).
export const REDACTED = '[redacted]';

const SECRET_KEY = /secret|passw|pwd|token|credential|private|cookie|authori[sz]ation|api[-_]?key|^keys?$|[a-z]Key$|hash|salt|signature|bearer|session/i;
/** Maps whose every value may be a secret: environment variables and HTTP headers of backends. */
const SECRET_MAPS = new Set(['env', 'headers']);

function withoutInlineSecrets(value: string): string {
  return (
    value
      // user:password@ in any URL-like text (postgres://, https://, redis://).
      .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):[^@/?#\s]*@/gi, `$1:${REDACTED}@`)
      // name=value of a secret-like name, as in a command-line argument or a query string.
      .replace(/((?:secret|passw\w*|token|api[-_]?key|key)=)[^&\s]+/gi, `$1${REDACTED}`)
  );
}

function redactAll(value: unknown): unknown {
  if (typeof value === 'string') return REDACTED;
  if (Array.isArray(value)) return value.map(redactAll);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactAll(v)]));
  return value;
}

export function redactConfig(value: unknown, key = ''): unknown {
  if (SECRET_MAPS.has(key) || SECRET_KEY.test(key)) return redactAll(value);
  if (typeof value === 'string') return withoutInlineSecrets(value);
  if (Array.isArray(value)) return value.map((v) => redactConfig(v));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactConfig(v, k)]));
  return value;
}
