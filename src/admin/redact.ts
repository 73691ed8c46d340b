// The effective configuration with its secrets taken out, for the configuration page: every
// string under a secret-like key (secret, password, token, credential, key, hash, cookie,
// authorization, …), every value of a backend's `env` and `headers`, the password of any URL
// that carries one, the value of a `token=…`-like argument or query parameter, bearer and basic
// credentials and secret-like header lines anywhere in a string, and in an argument list the
// value that follows a secret-like flag (`--api-key X`, `-H "Authorization: …"`). Numbers and
// booleans stay (`accessTokenTtl`, `passwordLogin`).
import { hideInlineSecrets, REDACTED } from '../config/secret-text.js';

export { REDACTED };

const SECRET_KEY = /secret|passw|pwd|token|credential|private|cookie|authori[sz]ation|api[-_]?key|^keys?$|[a-z]Key$|hash|salt|signature|bearer|session/i;
/** Maps whose every value may be a secret: environment variables and HTTP headers of backends. */
const SECRET_MAPS = new Set(['env', 'headers']);
/** A command-line flag whose next argument is a secret (or a header line, which may be one). */
const SECRET_FLAG = /^(?:-H|--?[\w-]*(?:secret|passw|pwd|token|key|auth|credential|cookie|bearer|header|sig)[\w-]*)$/i;

/** An argument list: each string as any other, and the one after a secret-like flag hidden whole. */
function redactArgs(values: unknown[]): unknown[] {
  return values.map((v, i) => {
    const flag = values[i - 1];
    return typeof v === 'string' && typeof flag === 'string' && SECRET_FLAG.test(flag) ? REDACTED : redactConfig(v);
  });
}

function redactAll(value: unknown): unknown {
  if (typeof value === 'string') return REDACTED;
  if (Array.isArray(value)) return value.map(redactAll);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactAll(v)]));
  return value;
}

export function redactConfig(value: unknown, key = ''): unknown {
  if (SECRET_MAPS.has(key) || SECRET_KEY.test(key)) return redactAll(value);
  if (typeof value === 'string') return hideInlineSecrets(value);
  if (Array.isArray(value)) return redactArgs(value);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactConfig(v, k)]));
  return value;
}
