// What the conformance run covers and what it cannot: the suites it runs against Postern, the
// scenario families that do not apply (with the reason printed in the table), and the failures
// known today (each with its reason; a known failure that starts passing fails the run, so the
// list can only shrink).

/** One `conformance server` invocation. */
export interface ServerSuite {
  label: string;
  args: string[];
}

export const SERVER_SUITES: ServerSuite[] = [
  { label: '2025-11-25 (active suite)', args: ['--spec-version', '2025-11-25'] },
  { label: '2026-07-28 (requirements)', args: ['--requirements', '2026-07-28'] },
];

/** Scenario name patterns that cannot apply to a gateway, and why. */
export const NOT_APPLICABLE: Array<[RegExp, string]> = [
  [
    /^(auth\/|initialize$|tools_call$|elicitation-sep1034-client-defaults$|sse-retry$|request-metadata$|sep-2322-client|http-standard-headers$|http-custom-headers$|http-invalid-tool-headers$|json-schema-ref-no-deref$|json-schema-2020-12-preservation$|sep-2640-client)/,
    "a client scenario: it tests an MCP client (its OAuth flow, retries, headers). Postern's only MCP client is its backend connection, which authenticates with configured headers, not OAuth",
  ],
  [/^tasks-/, 'the tasks extension: not part of the spec revisions Postern serves, and the suite does not score it'],
  [/^sep-2640-skills-/, 'the skills extension: not part of the spec revisions Postern serves'],
];

export function notApplicable(scenario: string): string | undefined {
  return NOT_APPLICABLE.find(([pattern]) => pattern.test(scenario))?.[1];
}

/** Failures known today, by scenario (whole) or scenario:check, each with its reason. None at present. */
export const KNOWN_FAILURES: Record<string, string> = {};
