// A minimal client of a child process's inspector (started with --inspect=127.0.0.1:0), for the
// benchmarks that read its heap: a full garbage collection, then the V8 heap in use. Only the two
// commands are sent; the debugger itself is never enabled.
import { WebSocket } from 'undici';

export class HeapProbe {
  private next = 1;
  private readonly pending = new Map<number, { resolve(result: unknown): void; reject(err: Error): void }>();

  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
      const waiting = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id!);
      if (message.error) waiting.reject(new Error(message.error.message));
      else waiting.resolve(message.result);
    });
  }

  /** Connects to the inspector whose address the child printed ("Debugger listening on ws://…"). */
  static async connect(childOutput: string): Promise<HeapProbe> {
    const url = /Debugger listening on (ws:\/\/\S+)/.exec(childOutput)?.[1];
    if (!url) throw new Error('the process printed no inspector address');
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.addEventListener('open', resolve, { once: true });
      ws.addEventListener('error', () => reject(new Error(`cannot reach the inspector at ${url}`)), { once: true });
    });
    return new HeapProbe(ws);
  }

  private send(method: string): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method}: no answer in 60 s`)), 60_000);
      this.pending.set(id, {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.ws.send(JSON.stringify({ id, method }));
    });
  }

  /** Bytes of V8 heap in use after two full collections. */
  async heapUsed(): Promise<number> {
    await this.send('HeapProfiler.collectGarbage');
    await this.send('HeapProfiler.collectGarbage');
    return ((await this.send('Runtime.getHeapUsage')) as { usedSize: number }).usedSize;
  }

  close(): void {
    this.ws.close();
  }
}
