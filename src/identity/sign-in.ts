// The seam for interactive identity sources: what a source adds to the sign-in interaction of
// /authorize (oauth/interactions.ts routes it and knows no source by name). A source may bring
// steps under /interaction/<uid>/<step>, a button on the login page, routes of its own outside
// the interaction (an upstream's callback), and a look at the request before the login page
// is shown (a trusted proxy's headers).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { esc } from '../pages/html.js';
import type { IdentitySource, Principal } from './types.js';

/** One step of a sign-in interaction, as the router hands it to a source. */
export interface StepContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** The interaction's id; its steps live under `/interaction/<uid>/`. */
  uid: string;
  /** The address the request comes from, as server.trustProxy says (the sign-in limits' rule). */
  address: string;
  /** The client that asked for the sign-in (audit). */
  clientId?: string;
  /** The posted form of a POST step (its CSRF token already checked). */
  form?: URLSearchParams;
  /** Is there a way in besides this source (a password form, another button)? */
  otherWaysIn: boolean;
  /** Completes the sign-in as `principal`; `via` names the way in for the audit trail. */
  signedIn(principal: Principal, via: string): Promise<void>;
  /** Records a refused sign-in in the audit trail. */
  refused(detail: string): void;
  /** Shows the login page again with `error` (status 401 unless given). */
  showLogin(error: string, status?: number): Promise<void>;
  /**
   * Runs a call to the source. When the source cannot be reached (it throws IdentityError) the
   * login page is shown again with the reason and status 503, and the result is undefined.
   */
  attempt<T>(call: () => Promise<T>): Promise<{ value: T } | undefined>;
  /** Answers with one of the source's own pages. */
  page(status: number, html: string): Promise<void>;
  /** Answers with an error page. */
  fail(status: number, title: string, message: string, detail?: string): void;
  /** How pages name the client (a metadata-document client by its host first), for a source's own pages. */
  clientName(): Promise<string>;
}

export interface SignInStep {
  /** The path segment after /interaction/<uid>/, e.g. "oidc". */
  readonly name: string;
  readonly method: 'GET' | 'POST';
  /** Runs only while the interaction is at its login prompt (the router checks). */
  handle(ctx: StepContext): Promise<void>;
}

/** A route of a source outside the interaction (an upstream provider's redirect back). */
export interface SignInRoute {
  readonly path: string;
  handle(req: IncomingMessage, res: ServerResponse, fail: StepContext['fail']): void;
}

/** A source that signs users in through the login interaction rather than only by password. */
export interface InteractiveSource extends IdentitySource {
  readonly steps?: readonly SignInStep[];
  readonly routes?: readonly SignInRoute[];
  /** Its buttons on the login page, posting to its steps under `base` with the `csrf` token. */
  loginButtons?(base: string, csrf: string): string[];
  /** Origins a login page form may lead to (the upstream a button sends the browser to). */
  readonly formTargets?: readonly string[];
  /** Looks at the request before the login page is shown; true when it answered (signed in or refused). */
  beforeLoginPage?(ctx: StepContext): Promise<boolean>;
}

export const isInteractive = (s: IdentitySource): s is InteractiveSource => {
  const i = s as InteractiveSource;
  return !!(i.steps || i.routes || i.loginButtons || i.beforeLoginPage);
};

/** A login page button that posts to a source's step. */
export function signInButton(action: string, csrf: string, label: string, fields: Record<string, string> = {}): string {
  const hidden = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('');
  return `<form method="post" action="${esc(action)}" class="actions"><input type="hidden" name="csrf" value="${esc(csrf)}">${hidden}<button type="submit">${esc(label)}</button></form>`;
}
