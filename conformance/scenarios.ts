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
    'a client scenario: it tests an MCP client (its OAuth flow, retries, headers). Postern\'s only MCP client is its backend connection, which authenticates with configured headers, not OAuth',
  ],
  [/^tasks-/, 'the tasks extension: not part of the spec revisions Postern serves, and the suite does not score it'],
  [/^sep-2640-skills-/, 'the skills extension: not part of the spec revisions Postern serves'],
];

export function notApplicable(scenario: string): string | undefined {
  return NOT_APPLICABLE.find(([pattern]) => pattern.test(scenario))?.[1];
}

/** Failures known today, by scenario (whole) or scenario:check. */
export const KNOWN_FAILURES: Record<string, string> = {
  'server-stateless:sep-2575-server-rejects-undeclared-capability':
    'needs the suite\'s diagnostic tool test_missing_capability in the backend; the fixture backend does not have it yet',
  'server-stateless:sep-2575-missing-capability-http-400': 'needs the diagnostic tool test_missing_capability (see above)',
  'server-stateless:sep-2575-http-server-no-independent-requests-on-stream': 'needs the diagnostic tool test_streaming_elicitation',
  'server-stateless:sep-2575-server-no-log-without-loglevel': 'needs the diagnostic tool test_logging_tool',
  'input-required-result-basic-elicitation': 'multi-round-trip requests (SEP-2322) are not relayed through the gateway yet',
  'input-required-result-basic-sampling': 'multi-round-trip requests (SEP-2322) are not relayed yet',
  'input-required-result-basic-list-roots': 'multi-round-trip requests (SEP-2322) are not relayed yet',
  'input-required-result-request-state': 'multi-round-trip requests (SEP-2322) are not relayed yet',
  'input-required-result-multiple-input-requests': 'multi-round-trip requests (SEP-2322) are not relayed yet',
  'input-required-result-multi-round': 'multi-round-trip requests (SEP-2322) are not relayed yet',
  'input-required-result-non-tool-request': 'multi-round-trip requests (SEP-2322) are not relayed yet',
  'input-required-result-result-type': 'multi-round-trip requests (SEP-2322) are not relayed yet',
  'input-required-result-tampered-state': 'multi-round-trip requests (SEP-2322) are not relayed yet',
  'input-required-result-capability-check': 'multi-round-trip requests (SEP-2322) are not relayed yet',
  'http-custom-header-server-validation': 'pending in the suite (not scored): custom-header validation against a tool\'s x-mcp-header schema is not implemented',
};
