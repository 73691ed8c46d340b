// The resource-server gate for /mcp: reads the bearer token from the Authorization header (never
// from the query string), runs the verifier chain, and builds the RFC 6750 / RFC 9728 challenge.
import { TokenRejected, VerifierUnavailable, type Caller, type TokenVerifier } from './types.js';

export interface GuardOptions {
  verifiers: TokenVerifier[];
  resourceMetadataUrl: string;
  scopes: readonly string[];
}

export type GuardResult =
  | { ok: true; caller: Caller; token: string }
  | { ok: false; status: 400 | 401 | 503; challenge: string; error: string; description: string };

const quote = (s: string) => `"${s.replace(/["\\]/g, '')}"`;

export class Guard {
  constructor(private readonly opts: GuardOptions) {}

  challenge(error?: string, description?: string, scopes: readonly string[] = this.opts.scopes): string {
    const parts = [`resource_metadata=${quote(this.opts.resourceMetadataUrl)}`, `scope=${quote(scopes.join(' '))}`];
    if (error) parts.unshift(`error=${quote(error)}`, ...(description ? [`error_description=${quote(description)}`] : []));
    return `Bearer ${parts.join(', ')}`;
  }

  /** RFC 6750 §3.1 answer for a token without a scope the request needs, so the client can step up. */
  insufficientScope(needed: string[], granted: string[] = []): Response {
    const scopes = [...new Set([...granted, ...needed])];
    const description = `this request needs the scope ${needed.join(' ')}`;
    return new Response(JSON.stringify({ error: 'insufficient_scope', error_description: description, scope: needed.join(' ') }), {
      status: 403,
      headers: { 'content-type': 'application/json', 'www-authenticate': this.challenge('insufficient_scope', description, scopes) },
    });
  }

  private reject(status: 400 | 401 | 503, error: string, description: string): GuardResult {
    return { ok: false, status, error, description, challenge: this.challenge(error, description) };
  }

  async check(authorization: string | null | undefined): Promise<GuardResult> {
    if (!authorization) {
      return { ok: false, status: 401, error: 'invalid_token', description: 'no access token', challenge: this.challenge() };
    }
    const match = /^Bearer +([\x21-\x7e]+)\s*$/i.exec(authorization);
    if (!match) return this.reject(400, 'invalid_request', 'use the Authorization: Bearer <token> scheme');
    const token = match[1];
    for (const verifier of this.opts.verifiers) {
      try {
        const caller = await verifier.verify(token);
        if (caller) return { ok: true, caller, token };
      } catch (err) {
        if (err instanceof TokenRejected) return this.reject(401, 'invalid_token', err.message);
        if (err instanceof VerifierUnavailable) return this.reject(503, 'temporarily_unavailable', err.message);
        throw err;
      }
    }
    return this.reject(401, 'invalid_token', 'the access token is not recognized');
  }
}
