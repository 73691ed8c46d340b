// Clients that misbehave below HTTP libraries, over a plain TCP socket: one that floods a chunked
// body (no Content-Length) as fast as the server takes it, and one that trickles bytes slowly.
// Each sends a bounded amount, waits a bounded time, and reports what the server did.
import { connect, type Socket } from 'node:net';

export interface RawOutcome {
  /** The response status, or 0 when none came. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Bytes of request body (or request, for trickle) written before the server answered or closed. */
  sent: number;
  /** The server closed the connection. */
  closed: boolean;
  /** Milliseconds from the first byte sent to the response (or the close when there was none). */
  ms: number;
}

class Conversation {
  readonly socket: Socket;
  private data = Buffer.alloc(0);
  closed = false;
  status = 0;
  headers: Record<string, string> = {};
  private readonly started = Date.now();
  answeredAt = 0;
  private wake: () => void = () => {};

  constructor(url: string) {
    const u = new URL(url);
    this.socket = connect({ host: u.hostname, port: Number(u.port) });
    this.socket.on('data', (chunk: Buffer) => {
      this.data = Buffer.concat([this.data, chunk]);
      const end = this.data.indexOf('\r\n\r\n');
      if (!this.status && end >= 0) {
        const [statusLine, ...lines] = this.data.subarray(0, end).toString('latin1').split('\r\n');
        this.status = Number(statusLine.split(' ')[1]);
        for (const line of lines) {
          const i = line.indexOf(':');
          this.headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
        }
        this.answeredAt = Date.now();
      }
      this.wake();
    });
    const close = () => {
      this.closed = true;
      this.answeredAt ||= Date.now();
      this.wake();
    };
    this.socket.on('close', close).on('end', close).on('error', close);
  }

  get body(): string {
    const end = this.data.indexOf('\r\n\r\n');
    return end < 0 ? '' : this.data.subarray(end + 4).toString('utf8');
  }

  get ms(): number {
    return (this.answeredAt || Date.now()) - this.started;
  }

  /** Resolves on the next event (data, close, drain) or after `ms`. */
  next(ms: number, drain = false): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.socket.off('drain', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.wake = done;
      if (drain) this.socket.once('drain', done);
    });
  }

  /** Waits until the server closed the connection, at most `ms`. */
  async closedWithin(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!this.closed && Date.now() < end) await this.next(end - Date.now());
  }

  outcome(sent: number): RawOutcome {
    return { status: this.status, headers: this.headers, body: this.body, sent, closed: this.closed, ms: this.ms };
  }
}

function head(method: string, url: string, headers: Record<string, string>): string {
  const u = new URL(url);
  const lines = [`${method} ${u.pathname}${u.search} HTTP/1.1`, `host: ${u.host}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * POSTs a chunked body of up to `maxBytes` as fast as the server reads it, stopping as soon as an
 * answer comes or the connection closes; then waits up to `waitMs` for the answer and the close.
 */
export async function floodChunked(url: string, headers: Record<string, string>, maxBytes: number, waitMs = 5000): Promise<RawOutcome> {
  const c = new Conversation(url);
  c.socket.write(head('POST', url, { ...headers, 'transfer-encoding': 'chunked' }));
  const size = 16 * 1024;
  const frame = Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), Buffer.alloc(size, 'a'), Buffer.from('\r\n')]);
  let sent = 0;
  const deadline = Date.now() + waitMs;
  while (sent < maxBytes && !c.status && !c.closed && Date.now() < deadline) {
    sent += size;
    if (!c.socket.write(frame)) await c.next(deadline - Date.now(), true);
  }
  if (!c.status && !c.closed) c.socket.write('0\r\n\r\n');
  while (!c.status && !c.closed && Date.now() < deadline) await c.next(deadline - Date.now());
  await c.closedWithin(Math.max(0, deadline - Date.now()));
  c.socket.destroy();
  return c.outcome(sent);
}

/**
 * Sends `prefix` at once and then `text` one byte every `everyMs` (a slow client), for at most
 * `maxMs`, and reports when the server answered or hung up; `sent` counts the bytes of `text`.
 */
export async function trickle(url: string, text: string, everyMs: number, maxMs: number, prefix = ''): Promise<RawOutcome> {
  const c = new Conversation(url);
  if (prefix) c.socket.write(prefix);
  let sent = 0;
  const deadline = Date.now() + maxMs;
  while (sent < text.length && !c.status && !c.closed && Date.now() < deadline) {
    c.socket.write(text[sent]);
    sent += 1;
    await c.next(Math.min(everyMs, deadline - Date.now()));
  }
  while (!c.status && !c.closed && Date.now() < deadline) await c.next(deadline - Date.now());
  await c.closedWithin(Math.max(0, deadline - Date.now()));
  c.socket.destroy();
  return c.outcome(sent);
}

/** Sends only a request head (e.g. announcing a body it never sends) and reads the answer. */
export async function headOnly(url: string, method: string, headers: Record<string, string>, waitMs = 3000): Promise<RawOutcome> {
  const c = new Conversation(url);
  c.socket.write(head(method, url, headers));
  const deadline = Date.now() + waitMs;
  while (!c.status && !c.closed && Date.now() < deadline) await c.next(deadline - Date.now());
  await c.closedWithin(Math.max(0, deadline - Date.now()));
  c.socket.destroy();
  return c.outcome(0);
}

export { head as requestHead };
