// The client transport of a built-in backend: one in-process server per calling user behind one
// SDK client. A message goes to the server of the user whose call sends it (call-context.ts), or
// to the server without a user when Postern connects and lists. A user's server is started on
// their first call with the client's own initialize replayed to it; the servers of the users
// least recently seen are closed past MAX_SERVERS. Requests a server sends (sampling,
// elicitation) get ids of their own here, so that the answers find their way back.
import { InMemoryTransport, type JSONRPCMessage, type Transport } from '@modelcontextprotocol/client';
import { currentCall, type CallerIdentity } from '../../call-context.js';
import type { ToolsetServer } from './toolset.js';

const MAX_SERVERS = 256;
/** The key of the server without a user. */
const NOBODY = '';

interface Link {
  transport: InMemoryTransport;
  server: ToolsetServer;
}

const isRequest = (m: JSONRPCMessage): m is Extract<JSONRPCMessage, { method: string; id: string | number }> => 'method' in m && 'id' in m;
const isResponse = (m: JSONRPCMessage): m is Extract<JSONRPCMessage, { id: string | number }> => !('method' in m) && 'id' in m;

export class PerCallerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private readonly links = new Map<string, Promise<Link>>();
  private initialize?: JSONRPCMessage;
  private sequence = 0;
  /** Requests from a server, by the id the client saw: which server, and its own id. */
  private readonly asked = new Map<string, { link: Promise<Link>; id: string | number }>();

  constructor(private readonly open: (caller: CallerIdentity | undefined) => Promise<ToolsetServer>) {}

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

  async close(): Promise<void> {
    const links = [...this.links.values()];
    this.links.clear();
    await Promise.all(links.map(async (l) => (await l.catch(() => undefined))?.server.close().catch(() => {})));
    this.onclose?.();
  }

  private linkFor(caller: CallerIdentity | undefined, replay: boolean): Promise<Link> {
    const key = caller?.subject ?? NOBODY;
    let link = this.links.get(key);
    if (link) {
      this.links.delete(key); // most recently used last
    } else {
      link = this.openLink(caller, replay);
      link.catch(() => this.links.delete(key));
    }
    this.links.set(key, link);
    for (const [oldest, stale] of this.links) {
      if (this.links.size <= MAX_SERVERS) break;
      if (oldest === NOBODY) continue;
      this.links.delete(oldest);
      void stale.then((l) => l.server.close()).catch(() => {});
    }
    return link;
  }

  private async openLink(caller: CallerIdentity | undefined, replay: boolean): Promise<Link> {
    const [transport, serverSide] = InMemoryTransport.createLinkedPair();
    const server = await this.open(caller);
    await server.connect(serverSide);
    let initialized: ((m: JSONRPCMessage) => void) | undefined;
    const initId = `builtin-init-${++this.sequence}`;
    const link: Link = { transport, server };
    transport.onmessage = (m) => {
      if (initialized && isResponse(m) && m.id === initId) return initialized(m);
      if (isRequest(m)) {
        const id = `builtin-${++this.sequence}`;
        this.asked.set(id, { link: Promise.resolve(link), id: m.id });
        return this.onmessage?.({ ...m, id });
      }
      this.onmessage?.(m);
    };
    transport.onerror = (err) => this.onerror?.(err);
    await transport.start();
    if (replay && this.initialize) {
      const answered = new Promise<JSONRPCMessage>((resolve) => (initialized = resolve));
      await transport.send({ ...this.initialize, id: initId } as JSONRPCMessage);
      await answered;
      initialized = undefined;
      await transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    }
    return link;
  }
}
