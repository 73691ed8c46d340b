// A pass-through in front of Postern for the server scenarios: the conformance CLI cannot present a
// bearer token, so this adds one (a Postern static token) to every request and streams the answer
// back unchanged. Host, Origin and every other header pass as sent, so the gateway's own checks
// (DNS-rebinding protection included) are what the scenarios meet.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function startBearerProxy(target: URL, token: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, authorization: `Bearer ${token}` } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${err.message}`);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
