// What every admin page works with: the parts it reads and changes, the request it answers, and
// the notice an action leaves on the page it shows next.
import type { Audit } from '../audit/trail.js';
import type { BackendRegistry } from '../backends/registry.js';
import type { Config } from '../config/schema.js';
import type { IdentitySources } from '../identity/sources.js';
import type { ToolPolicy } from '../mcp/policy.js';
import type { Store } from '../store/types.js';

export interface AdminDeps {
  config: Config;
  store: Store;
  audit: Audit;
  registry: BackendRegistry;
  identity: IdentitySources;
  /** The same rules /mcp applies (config policy.rules). */
  policy: ToolPolicy;
}

/** One request to a page: the admin making it, their forms' CSRF token, and the query. */
export interface AdminRequest {
  admin: string;
  csrf: string;
  query: URLSearchParams;
}

/** What an action tells the admin: done, or refused; and a secret to show this once. */
export interface Notice {
  text: string;
  error?: boolean;
  secret?: { label: string; value: string };
}

/** A file a page offers for download (the audit export). */
export interface Download {
  type: string;
  filename: string;
  body: string;
}

export interface AdminPage {
  /** `/admin/<path>`; its actions post to `/admin/<path>/<action>`. */
  readonly path: string;
  readonly title: string;
  view(deps: AdminDeps, req: AdminRequest): Promise<string>;
  /** Each action changes something, audits it with the admin as actor, and says what it did. */
  readonly actions?: Record<string, (deps: AdminDeps, admin: string, form: URLSearchParams) => Promise<Notice>>;
  /** GET `/admin/<path>/export`. */
  download?(deps: AdminDeps, query: URLSearchParams): Promise<Download>;
}

/** A request the page cannot carry out: shown on the page with this status. */
export class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A form or query field that must be there, at most `max` characters. */
export function field(values: URLSearchParams, name: string, max = 200): string {
  const value = (values.get(name) ?? '').trim();
  if (!value) throw new AdminError(400, `${name} is missing`);
  if (value.length > max) throw new AdminError(400, `${name} is longer than ${max} characters`);
  return value;
}

const ROLE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** Roles as typed into a form: separated by commas or spaces, each a plain name, at most 20. */
export function parseRoles(text: string | null): string[] {
  const roles = [...new Set((text ?? '').split(/[\s,]+/).filter(Boolean))];
  if (roles.length > 20) throw new AdminError(400, 'at most 20 roles');
  const bad = roles.find((r) => !ROLE.test(r));
  if (bad !== undefined) throw new AdminError(400, `role "${bad.slice(0, 64)}" is not a plain name (letters, digits, ".", "_", ":", "-")`);
  return roles;
}
