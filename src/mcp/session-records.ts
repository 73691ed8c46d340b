// 2025-era sessions on any replica: what a session needs to be opened again elsewhere — whose it
// is, the client's initialize (protocol version, capabilities, client info) and its log level — is
// kept as a record in the store (wired in postern.ts). A replica that gets a request for a session
// it does not hold finds the record, replays the initialize to a fresh server under the same
// session id, sets the log level, and serves the request. What lives in one process only — a
// parked multi-round-trip call, an open GET stream and its event history, resource subscriptions —
// does not move: the client gets the documented errors (docs/scaling.md) and starts them again.
import type { JSONRPCMessage } from '@modelcontextprotocol/server';

export interface SessionRecord {
  /** subject + client id, as the endpoint binds a session. */
  owner: string;
  subject: string;
  /** The params of the client's initialize (protocolVersion, capabilities, clientInfo). */
  initialize: Record<string, unknown>;
  /** Set by logging/setLevel. */
  logLevel?: string;
}

/** Where session records are kept; expired records are never returned. */
export interface SessionRecords {
  save(id: string, record: SessionRecord, ttlSeconds: number): Promise<void>;
  find(id: string): Promise<SessionRecord | undefined>;
  remove(id: string): Promise<void>;
}

/** The initialize params of a message or batch, if it holds an initialize. */
export function initializeParams(body: unknown): Record<string, unknown> | undefined {
  for (const m of Array.isArray(body) ? body : [body]) {
    if (m && typeof m === 'object' && (m as { method?: unknown }).method === 'initialize')
      return ((m as { params?: Record<string, unknown> }).params ?? {}) as Record<string, unknown>;
  }
  return undefined;
}

/** The level a logging/setLevel message sets, if the body is one. */
export function logLevelSet(body: unknown): string | undefined {
  const m = body as { method?: unknown; params?: { level?: unknown } } | null;
  return m && typeof m === 'object' && m.method === 'logging/setLevel' && typeof m.params?.level === 'string' ? m.params.level : undefined;
}

/**
 * The requests that open a recorded session again on a fresh transport: the client's initialize,
 * notifications/initialized and, when one was set, logging/setLevel. Each is posted to the
 * transport like a client's request; their answers go nowhere.
 */
export function replayMessages(record: SessionRecord): JSONRPCMessage[] {
  const messages: JSONRPCMessage[] = [
    { jsonrpc: '2.0', id: 'postern-replay-initialize', method: 'initialize', params: record.initialize },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
  ];
  if (record.logLevel) messages.push({ jsonrpc: '2.0', id: 'postern-replay-log-level', method: 'logging/setLevel', params: { level: record.logLevel } });
  return messages;
}
