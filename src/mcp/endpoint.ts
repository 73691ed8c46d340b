// The /mcp endpoint behind the guard. Requests of the 2026-07-28 era go to the SDK's stateless
// per-request handler; 2025-era requests get sessions (initialize + Mcp-Session-Id), each bound to
// the subject and the client that opened it and capped per client, per user and in all
// (session-table.ts). Both serve the same gateway server definition. A plain request on an
// established session may instead take the lean path (session-lane.ts), and a plain stateless
// tools/call the lean stateless path (stateless-lane.ts). With session records (a
// store shared by replicas), a session opened on another replica is opened again here
// (session-records.ts).
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { createMcpHandler, isLegacyRequest, type AuthInfo, type McpHttpHandler } from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import type { BackendRegistry } from '../backends/registry.js';
import { callerFrom, GatewayServer, type GatewayDeps, type GatewayInfo, type ToolCallHandler } from './gateway-server.js';
import type { ToolPolicy } from './policy.js';
import type { Audit } from '../audit/trail.js';
import type { ClientRestrictions, Restriction } from './client-restrictions.js';
import { missingScopes } from '../protocol/scopes.js';
import { SessionTransport } from './session-transport.js';
import { laneMessage, serveOnLane } from './session-lane.js';
import { ParkedCalls } from './parked-calls.js';
import { SessionTable, type SessionCaps } from './session-table.js';
import { initializeParams, logLevelSet, replayMessages, type SessionRecord, type SessionRecords } from './session-records.js';
import { declaresParamHeaders, paramHeaderRejection } from './param-headers.js';
import { serveStatelessCall, statelessCall, statelessEncoding } from './stateless-lane.js';
import type { AnswerEncoding } from './lane-parts.js';
import { DEFAULT_MCP_BODY_LIMIT } from '../config/limits.js';
import type { ToolCalls } from '../telemetry/tool-calls.js';

/** One open 2025-era session: its server and transport, whose it is, and its record. */
class Session {
  transport!: SessionTransport;
  lastSeen = Date.now();
  savedAt?: number;
  /** Its record writes, one after the other. */
  writes?: Promise<void>;

  constructor(
    readonly server: GatewayServer,
    /** The subject of the caller that opened the session. */
    readonly subject: string,
    /** subject + client id of the caller that opened the session. */
    readonly owner: string,
    /** Its record in the store (absent without session records). */
    public record?: SessionRecord,
  ) {}

  /** The session's tools/call handler (the lean path calls it directly). */
  callTool(...[request, ctx]: Parameters<ToolCallHandler>): ReturnType<ToolCallHandler> {
    return this.server.callTool(request, ctx);
  }
}

export interface McpEndpointOptions {
  registry: BackendRegistry;
  info: GatewayInfo;
  log: Logger;
  /** Sessions idle longer than this are closed. */
  sessionIdleMs?: number;
  /** How many sessions may be open (config mcp.sessions). */
  sessionCaps: SessionCaps;
  policy: ToolPolicy;
  audit?: Audit;
  /** The operator's per-client limits (policy.clients). */
  restrictions?: ClientRestrictions;
  /** The 403 for a token that lacks a scope the request needs (absent: scopes are not checked). */
  insufficientScope?: (needed: string[], granted: string[]) => Response;
  /** Largest request body in bytes (server.mcpBodyLimit; the edge refuses larger ones first). */
  maxBody?: number;
  /** Metrics and spans of tool calls; absent when neither is on. */
  toolCalls?: ToolCalls;
  /** Where sessions are recorded so that any replica can open them again; absent: sessions stay in this process. */
  sessionRecords?: SessionRecords;
}

function jsonRpcError(status: number, code: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** A session belongs to this subject and client. */
const ownerOf = (subject: string, authInfo: AuthInfo | undefined) => `${subject}\n${authInfo?.clientId ?? ''}`;

const endSession = (session: Session) => void session.server.close().catch(() => {});

const isInitialize = (body: unknown): boolean =>
  (Array.isArray(body) ? body : [body]).some((m) => m && typeof m === 'object' && (m as { method?: unknown }).method === 'initialize');

export class McpEndpoint {
  private readonly modern: McpHttpHandler;
  private readonly sessions: SessionTable<Session>;
  private readonly sweeper: NodeJS.Timeout;
  private readonly idleMs: number;
  private readonly unsubscribe: () => void;
  private readonly parked = new ParkedCalls();
  private readonly maxBody: number;
  /** What every session's server shares. */
  private readonly gateway: GatewayDeps;
  /** How a lean stateless call's answer is stamped (with this gateway's server info). */
  private readonly statelessEncoding: AnswerEncoding;

  constructor(private readonly opts: McpEndpointOptions) {
    this.gateway = { registry: opts.registry, info: opts.info, policy: opts.policy, audit: opts.audit, parked: this.parked, toolCalls: opts.toolCalls };
    this.statelessEncoding = statelessEncoding(opts.info);
    this.idleMs = opts.sessionIdleMs ?? 30 * 60_000;
    this.sessions = new SessionTable(opts.sessionCaps, (id, session) => {
      opts.log.debug({ subject: session.subject }, 'session closed to make room for a new one (mcp.sessions)');
      endSession(session);
      // Closed for good, on every replica: it must not be opened again past the caps.
      void this.forget(id, session);
    });
    this.maxBody = opts.maxBody ?? DEFAULT_MCP_BODY_LIMIT;
    this.modern = createMcpHandler(({ authInfo }) => this.serverFor(authInfo), {
      legacy: 'reject',
      maxRequestBodySize: this.maxBody,
      onerror: (err) => opts.log.debug({ err: err.message }, 'mcp request rejected'),
    });
    this.sweeper = setInterval(() => this.sweep(), Math.min(this.idleMs, 60_000));
    this.sweeper.unref();
    this.unsubscribe = opts.registry.onChange(() => this.listsChanged());
  }

  /**
   * The gateway server of the token's caller: all its handlers registered (a request the SDK's
   * handler serves), or each on its first use (a session, a lean stateless call).
   */
  private serverFor(authInfo: AuthInfo | undefined, onFirstUse = false): GatewayServer {
    const roles = (authInfo?.extra?.roles as string[] | undefined) ?? [];
    const subject = authInfo?.extra?.subject as string | undefined;
    const restriction = authInfo?.extra?.restriction as Restriction | undefined;
    return new GatewayServer(this.gateway, callerFrom({ roles, clientId: authInfo?.clientId ?? '', subject }, restriction), onFirstUse);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  async handle(request: Request, subject: string, authInfo?: AuthInfo): Promise<Response> {
    let parsedBody: unknown;
    if (request.method === 'POST') {
      const length = Number(request.headers.get('content-length') ?? 0);
      if (length > this.maxBody) return jsonRpcError(413, -32600, 'request body too large');
      const text = await request.text();
      if (text.length > this.maxBody) return jsonRpcError(413, -32600, 'request body too large');
      try {
        parsedBody = JSON.parse(text);
      } catch {
        return jsonRpcError(400, -32700, 'Parse error: the body is not valid JSON');
      }
      if (parsedBody === null || typeof parsedBody !== 'object') {
        return jsonRpcError(400, -32600, 'Invalid Request: expected a JSON-RPC message object');
      }
    }
    const admitted = await this.admit(parsedBody, authInfo);
    if ('refusal' in admitted) return admitted.refusal;
    authInfo = admitted.authInfo;
    if (await isLegacyRequest(request, parsedBody)) {
      return this.handleLegacy(request, subject, authInfo, parsedBody);
    }
    return paramHeaderRejection(parsedBody, request.headers, (name) => this.opts.registry.tool(name)) ?? this.modern.fetch(request, { authInfo, parsedBody });
  }

  /**
   * Serves a POST on an established session over the lean path (session-lane.ts). False when the
   * request needs the full path instead — no such session, another owner, a refusal, anything the
   * lean path does not take — which then answers it with `handle`.
   */
  async serveLean(headers: IncomingHttpHeaders, message: unknown, subject: string, authInfo: AuthInfo | undefined, res: ServerResponse): Promise<boolean> {
    const id = headers['mcp-session-id'];
    const session = typeof id === 'string' ? this.sessions.get(id) : undefined;
    if (!session || session.owner !== ownerOf(subject, authInfo)) return false;
    const lean = laneMessage(headers, message, session.transport, (tool) => !this.opts.registry.answersInRounds(tool));
    if (!lean) return false;
    const admitted = await this.admit(message, authInfo);
    if ('refusal' in admitted || this.sessions.get(id as string) !== session) return false;
    session.lastSeen = Date.now();
    // A renewal that found the record gone has closed the session: the full path answers 404.
    if (!(await this.keptOpen(id as string, session, message))) return false;
    serveOnLane(session, lean, res, admitted.authInfo);
    return true;
  }

  /**
   * Serves a plain 2026-07-28 tools/call over the lean stateless path (stateless-lane.ts). False
   * when the request needs the SDK's way instead, which then answers it with `handle`.
   */
  async serveStateless(headers: IncomingHttpHeaders, message: unknown, authInfo: AuthInfo | undefined, res: ServerResponse): Promise<boolean> {
    const { registry } = this.opts;
    const lean = statelessCall(headers, message, (tool) => !registry.answersInRounds(tool) && !declaresParamHeaders(registry.tool(tool)));
    if (!lean) return false;
    const admitted = await this.admit(message, authInfo);
    if ('refusal' in admitted) return false;
    // The call needs the caller's server, not its handler table.
    const server = this.serverFor(admitted.authInfo, true);
    serveStatelessCall((request, ctx) => server.callTool(request, ctx), lean, res, admitted.authInfo, this.statelessEncoding);
    return true;
  }

  /** The scope and client checks every request passes: a refusal, or the auth info to serve it with. */
  private async admit(parsedBody: unknown, authInfo: AuthInfo | undefined): Promise<{ refusal: Response } | { authInfo?: AuthInfo }> {
    if (authInfo && this.opts.insufficientScope) {
      const missing = missingScopes(parsedBody, authInfo.scopes, (tool) => this.opts.registry.isReadOnly(tool));
      if (missing.length) return { refusal: this.opts.insufficientScope(missing, authInfo.scopes) };
    }
    if (authInfo && this.opts.restrictions) {
      const restriction = await this.opts.restrictions.forClient(authInfo.clientId);
      if (restriction) return { authInfo: { ...authInfo, extra: { ...authInfo.extra, restriction } } };
    }
    return { authInfo };
  }

  private async handleLegacy(request: Request, subject: string, authInfo: AuthInfo | undefined, parsedBody: unknown) {
    const owner = ownerOf(subject, authInfo);
    const sessionId = request.headers.get('mcp-session-id');
    if (sessionId) {
      const session = this.sessions.get(sessionId) ?? (await this.reopen(sessionId, owner, request.url, authInfo));
      // A session belongs to the user and client that opened it; anyone else is told it does not exist.
      if (!session || session.owner !== owner) return jsonRpcError(404, -32001, 'Session not found');
      session.lastSeen = Date.now();
      if (request.method === 'DELETE') await this.forget(sessionId, session);
      // A renewal that found the record gone (DELETE elsewhere, the caps) has closed the session.
      else if (!(await this.keptOpen(sessionId, session, parsedBody))) return jsonRpcError(404, -32001, 'Session not found');
      return session.transport.handleRequest(request, { authInfo, parsedBody });
    }
    if (request.method !== 'POST' || !isInitialize(parsedBody)) {
      return jsonRpcError(400, -32000, 'Bad Request: Mcp-Session-Id header is required (send initialize first)');
    }
    const initialize = initializeParams(parsedBody) ?? {};
    const session = await this.open(subject, owner, authInfo, randomUUID, this.opts.sessionRecords && { owner, subject, initialize });
    const answer = await session.transport.handleRequest(request, { authInfo, parsedBody });
    // The record is in the store before the client learns the session id: its next request may
    // go to another replica.
    await session.writes;
    return answer;
  }

  /**
   * A session's server and transport. A new session joins the table once its initialize is
   * accepted; one opened again from its record (`reopened`) only once its replay is done (reopen).
   */
  private async open(
    subject: string,
    owner: string,
    authInfo: AuthInfo | undefined,
    newId: () => string,
    record?: SessionRecord,
    reopened = false,
  ): Promise<Session> {
    const session = new Session(this.serverFor(authInfo, true), subject, owner, record);
    // Leaves the table only if the table holds this copy, not a newer one under the same id.
    const leave = (id: string | undefined) => {
      if (id !== undefined && this.sessions.get(id) === session) this.sessions.delete(id);
    };
    const transport = new SessionTransport({
      sessionIdGenerator: newId,
      // Counted against the caps only now, when it exists: initializations in flight cannot
      // slip past them together.
      onsessioninitialized: (id) => {
        if (reopened) return;
        this.sessions.add(id, session);
        void this.keepRecord(id, session);
      },
      onsessionclosed: leave,
    });
    session.transport = transport;
    transport.onclose = () => leave(transport.sessionId);
    await session.server.connect(transport);
    return session;
  }

  /** Sessions being opened again from their records, by id: concurrent requests share one. */
  private readonly reopening = new Map<string, Promise<Session | undefined>>();

  /** Opens a session another replica (or an earlier run) recorded, when the caller owns it. */
  private reopen(id: string, owner: string, url: string, authInfo: AuthInfo | undefined): Promise<Session | undefined> {
    const records = this.opts.sessionRecords;
    if (!records) return Promise.resolve(undefined);
    let pending = this.reopening.get(id);
    if (!pending) {
      pending = (async () => {
        const record = await records.find(id).catch((err) => {
          this.opts.log.warn({ err }, 'reading a session record failed');
          return undefined;
        });
        if (!record || record.owner !== owner) return undefined;
        const session = await this.open(record.subject, owner, authInfo, () => id, record, true);
        session.savedAt = Date.now(); // the record is in the store: the replay need not write it
        // Nothing else reaches this copy before its replay is done: requests for the session wait
        // for this promise, and the copy joins the table only afterwards.
        for (const message of replayMessages(record)) {
          const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
          if (!('method' in message && message.method === 'initialize')) headers['mcp-session-id'] = id;
          const res = await session.transport.handleRequest(new Request(url, { method: 'POST', headers, body: JSON.stringify(message) }), {
            authInfo,
            parsedBody: message,
          });
          await res.text();
          if (!res.ok) {
            this.opts.log.warn({ status: res.status, method: 'method' in message ? message.method : undefined }, 'opening a recorded session again failed');
            endSession(session);
            return undefined;
          }
        }
        this.sessions.add(id, session);
        return session;
      })().finally(() => this.reopening.delete(id));
      this.reopening.set(id, pending);
    }
    return pending;
  }

  /**
   * Keeps the session's record for a request with this body (keepRecord), waiting for the write
   * when there is one; false when a renewal found the record gone and closed the session.
   */
  private async keptOpen(id: string, session: Session, body: unknown): Promise<boolean> {
    const writing = this.keepRecord(id, session, logLevelSet(body));
    if (!writing) return true;
    await writing;
    return this.sessions.get(id) === session;
  }

  /**
   * Writes the session's record when it is new or its log level changed (the answer waits for
   * that write, so that the next request finds the level on any replica), and renews it when a
   * quarter of the idle time has passed since the last write, each write renewing its expiry. A
   * renewal writes back the stored record (another replica may have changed it) or, when the
   * record was deleted meanwhile (DELETE on another replica, the caps), closes the session here;
   * the request that caused it waits for the write and is answered 404, not served on a copy that
   * closes under it. One session's writes go one after the other. Undefined: nothing to write.
   */
  private keepRecord(id: string, session: Session, logLevel?: string): Promise<void> | undefined {
    const records = this.opts.sessionRecords;
    if (!records || !session.record) return undefined;
    const changed = logLevel !== undefined && logLevel !== session.record.logLevel;
    const renewal = !changed && session.savedAt !== undefined;
    if (renewal && Date.now() - session.savedAt! < this.idleMs / 4) return undefined;
    if (changed) session.record = { ...session.record, logLevel };
    session.savedAt = Date.now();
    const ttl = Math.ceil(this.idleMs / 1000);
    const write = async () => {
      if (renewal) {
        const stored = await records.find(id);
        if (!stored) {
          if (this.sessions.get(id) === session) this.closeSession(id, session);
          return;
        }
        session.record = stored;
      }
      await records.save(id, session.record!, ttl);
    };
    session.writes = (session.writes ?? Promise.resolve()).then(write).catch((err) => this.opts.log.warn({ err }, 'writing a session record failed'));
    return session.writes;
  }

  /** Deletes a session's record (after its pending writes): it cannot be opened again anywhere. */
  private forget(id: string, session?: Session): Promise<void> {
    const records = this.opts.sessionRecords;
    if (!records) return Promise.resolve();
    return (session?.writes ?? Promise.resolve())
      .then(() => records.remove(id))
      .catch((err) => this.opts.log.warn({ err }, 'deleting a session record failed'));
  }

  private listsChanged(): void {
    this.modern.notify.toolsChanged();
    this.modern.notify.promptsChanged();
    this.modern.notify.resourcesChanged();
    for (const [, { server }] of this.sessions.entries()) {
      void server.sendToolListChanged().catch(() => {});
      void server.sendPromptListChanged().catch(() => {});
      void server.sendResourceListChanged().catch(() => {});
    }
  }

  private closeSession(id: string, session: Session): void {
    this.sessions.delete(id);
    endSession(session);
  }

  private sweep(): void {
    const cutoff = Date.now() - this.idleMs;
    for (const [id, s] of this.sessions.entries()) if (s.lastSeen < cutoff) this.closeSession(id, s);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.unsubscribe();
    this.parked.close();
    for (const [id, s] of this.sessions.entries()) this.closeSession(id, s);
    await this.modern.close();
  }
}
