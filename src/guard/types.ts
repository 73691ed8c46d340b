// What the guard hands to the MCP layer for an accepted bearer token, and the verifier seam:
// an ordered chain of verifiers (own JWTs or an external AS's tokens, then static tokens).

export interface Caller {
  subject: string;
  clientId: string;
  scopes: string[];
  roles: string[];
  /** Epoch seconds. */
  expiresAt: number;
  /** Grant the token belongs to, when it has one (own tokens). */
  grantId?: string;
  /** Which verifier accepted the token. */
  via: string;
}

export class TokenRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenRejected';
  }
}

/** The verifier cannot decide now (its authorization server is unreachable): 503, try again later. */
export class VerifierUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VerifierUnavailable';
  }
}

export interface TokenVerifier {
  readonly name: string;
  /** Returns the caller, undefined when the token is not of this verifier's kind, or throws TokenRejected. */
  verify(token: string): Promise<Caller | undefined>;
}
