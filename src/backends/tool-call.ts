// How a tools/call goes to a backend through the SDK client (stdio backends, and HTTP backends off
// the lean path). On a 2025-era connection the backend's result is passed on as the backend sent
// it, as the lean HTTP path (kinds/http/lean-call.ts) and a session's lean path
// (mcp/session-lane.ts) already do: the client that called the gateway validates what it
// receives, against the tool's output schema too, which the gateway lists unchanged. The SDK
// client's callTool checks the result with its zod schema and, for a tool with an output schema,
// the structured content; with the per-request set-up around it that cost about 40 µs of CPU per
// call, a tenth of the gateway's whole share (docs/performance.md, "The gateway"). On the
// 2026-07-28 era callTool stays: it also mirrors arguments into Mcp-Param headers.
import type { CallToolResult, Client, RequestOptions, StandardSchemaV1 } from '@modelcontextprotocol/client';

/** A result schema that takes any result object as it is (a non-object is still refused). */
const AS_SENT: StandardSchemaV1<unknown, CallToolResult> = {
  '~standard': {
    version: 1,
    vendor: 'postern',
    validate: (value) =>
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? { value: value as CallToolResult }
        : { issues: [{ message: 'the backend answered tools/call with something that is not a result object' }] },
  },
};

/** Calls a tool on `client`'s backend; see the top of this file for what is checked on the way. */
export function sendToolCall(client: Client, params: { name: string; arguments?: Record<string, unknown> }, options: RequestOptions): Promise<CallToolResult> {
  if (client.getProtocolEra() === 'modern') return client.callTool(params, options) as Promise<CallToolResult>;
  return client.request({ method: 'tools/call', params }, AS_SENT, options);
}
