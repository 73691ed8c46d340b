// A client transport with one link per calling user behind one SDK client: a message goes to the
// link of the user whose call sends it (call-context.ts), or to the link without a user when
// Postern connects and lists. A user's link is opened on their first call, with the client's own
// initialize replayed on it (2025 era; the 2026-07-28 era has none) and the negotiated protocol
// version set on it; the links of the users least recently seen are closed past MAX_LINKS.
// Requests a link's server sends (sampling, elicitation) get ids of their own here, so that the
// answers find their way back.
// Built-in toolsets (an in-process server per user) and per-user OAuth HTTP backends use it.
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';
import { currentCall, type CallerIdentity } from './call-context.js';

const MAX_LINKS = 256;
/** The key of the link without a user. */
const NOBODY = '';

/** One user's connection: a client-side transport (not started yet) and how to end it. */
export interface CallerLink {
  transport: Transport;
  close(): Promise<void>;
}

interface Link extends CallerLink {
  /** Set while the replayed initialize waits for its answer. */
  initialized?: (m: JSONRPCMessage) => void;
}

const isRequest = (m: JSONRPCMessage): m is Extract<JSONRPCMessage, { method: string; id: string | number }> => 'method' in m && 'id' in m;
const isResponse = (m: JSONRPCMessage): m is Extract<JSONRPCMessage, { id: string | number }> => !('method' in m) && 'id' in m;

export class PerCallerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private readonly links = new Map<string, Promise<Link>>();
  private initialize?: JSONRPCMessage;
  private protocolVersion?: string;
  private sequence = 0;
  /** Requests from a link's server, by the id the client saw: which link, and its own id. */
  private readonly asked = new Map<string, { link: Promise<Link>; id: string | number }>();

  constructor(private readonly open: (caller: CallerIdentity | undefined) => Promise<CallerLink>) {}

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    if (isResponse(message) && this.asked.has(String(message.id))) {
      const { link, id } = this.asked.get(String(message.id))!;
      this.asked.delete(String(message.id));
      await (await link).transport.send({ ...message, id } as JSONRPCMessage);
      return;
    }
    const first = isRequest(message) && message.method === 'initialize';
    if (first) this.initialize = message;
    const link = await this.linkFor(currentCall()?.caller, !first);
    await link.transport.send(message);
  }

  /** The SDK client tells the transport the negotiated version; every link sends it from then on. */
  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
    for (const link of this.links.values()) void link.then((l) => l.transport.setProtocolVersion?.(version)).catch(() => {});
  }

  /** Closes the link of `subject` (their next message opens a new one). */
  forget(subject: string): void {
    const link = this.links.get(subject);
    this.links.delete(subject);
    void link?.then((l) => l.close()).catch(() => {});
  }

  async close(): Promise<void> {
    const links = [...this.links.values()];
    this.links.clear();
    await Promise.all(links.map(async (l) => (await l.catch(() => undefined))?.close().catch(() => {})));
    this.onclose?.();
  }

  private linkFor(caller: CallerIdentity | undefined, replay: boolean): Promise<Link> {
    const key = caller?.subject ?? NOBODY;
    let link = this.links.get(key);
    if (link) {
      this.links.delete(key); // most recently used last
    } else {
      link = this.openLink(caller, replay);
      link.catch(() => {
        if (this.links.get(key) === link) this.links.delete(key);
      });
    }
    this.links.set(key, link);
    for (const [oldest, stale] of this.links) {
      if (this.links.size <= MAX_LINKS) break;
      if (oldest === NOBODY) continue;
      this.links.delete(oldest);
      void stale.then((l) => l.close()).catch(() => {});
    }
    return link;
  }

  private async openLink(caller: CallerIdentity | undefined, replay: boolean): Promise<Link> {
    const link: Link = await this.open(caller);
    const { transport } = link;
    const initId = `caller-init-${++this.sequence}`;
    transport.onmessage = (m) => {
      if (link.initialized && isResponse(m) && m.id === initId) return link.initialized(m);
      if (isRequest(m)) {
        const id = `caller-${++this.sequence}`;
        this.asked.set(id, { link: Promise.resolve(link), id: m.id });
        return this.onmessage?.({ ...m, id });
      }
      this.onmessage?.(m);
    };
    transport.onerror = (err) => this.onerror?.(err);
    try {
      await transport.start();
      if (replay && this.initialize) {
        const answered = new Promise<JSONRPCMessage>((resolve) => (link.initialized = resolve));
        await transport.send({ ...this.initialize, id: initId } as JSONRPCMessage);
        const answer = (await answered) as { result?: { protocolVersion?: string }; error?: { message?: string } };
        link.initialized = undefined;
        if (answer.error) throw new Error(`the server refused initialize: ${answer.error.message ?? 'no reason given'}`);
        if (answer.result?.protocolVersion) transport.setProtocolVersion?.(answer.result.protocolVersion);
        await transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      } else if (this.protocolVersion) {
        transport.setProtocolVersion?.(this.protocolVersion);
      }
    } catch (err) {
      await link.close().catch(() => {});
      throw err;
    }
    return link;
  }
}
