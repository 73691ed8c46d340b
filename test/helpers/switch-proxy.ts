// A reverse proxy whose target the test picks from one request to the next: replicas behind one
// public address, where the test decides which replica answers each step (a load balancer lets
// chance decide). It remembers which target answered which path.
import { createServer, request } from 'node:http';
import type { Socket } from 'node:net';
import { freePort } from './backends.js';

export interface SwitchProxy {
  /** The public origin (give it to the replicas as their issuer). */
  origin: string;
  /** host:port every request goes to from now on. */
  target: string;
  /** Which target answered each request, oldest first. */
  readonly served: Array<{ path: string; target: string }>;
  close(): Promise<void>;
}

export async function startSwitchProxy(): Promise<SwitchProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  const self: SwitchProxy = {
    origin: `http://127.0.0.1:${port}`,
    target: '',
    served: [],
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
  const server = createServer((req, res) => {
    const [host, targetPort] = self.target.split(':');
    self.served.push({ path: new URL(req.url ?? '/', self.origin).pathname, target: self.target });
    const forward = request({ host, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return self;
}
