// A reverse proxy in front of a real test server that a test can make fail, without touching the
// server itself (which other tests share): pass requests through, with Host set to the proxy's own
// address so the server names the proxy in the URLs it builds; answer some paths with a status of
// its choosing; hold them until the client gives up; or stop listening altogether. It remembers
// the method, path and headers of every request it received.
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ProxyFault = { kind: 'status'; status: number; body?: string } | { kind: 'hang' };

export interface FailingProxy {
  url: string;
  /** Every request received, oldest first. */
  readonly seen: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders }>;
  /** Paths (prefixes) that get `fault` instead of the server's answer. */
  fail(pathPrefix: string, fault: ProxyFault): void;
  /** Passes everything through again. */
  heal(): void;
  /** Stops listening and drops every connection: the server is gone for whoever used the proxy. */
  close(): Promise<void>;
}

export async function startFailingProxy(target: string): Promise<FailingProxy> {
  const upstream = new URL(target);
  const faults = new Map<string, ProxyFault>();
  const sockets = new Set<Socket>();
  const seen: FailingProxy['seen'] = [];
  let self = '';

  function pass(req: IncomingMessage, res: ServerResponse) {
    const out = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: self } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  }

  const server = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    const fault = [...faults].find(([prefix]) => req.url?.startsWith(prefix))?.[1];
    if (!fault) return pass(req, res);
    req.resume();
    if (fault.kind === 'hang') return; // the socket is destroyed on close()
    res.writeHead(fault.status, { 'content-type': 'application/json' });
    res.end(fault.body ?? JSON.stringify({ error: 'server_error' }));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  self = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `http://${self}`,
    seen,
    fail: (prefix, fault) => faults.set(prefix, fault),
    heal: () => faults.clear(),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
