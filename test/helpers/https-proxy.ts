// A TLS front for a Postern under test, as a reverse proxy gives it in production: an https
// server with a test certificate (document-server.ts makes it) that passes every request on to
// the plain-http Postern behind it, streaming both ways.
import { request } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestCertificate } from './document-server.js';

export interface HttpsProxy {
  port: number;
  close(): Promise<void>;
}

export async function startHttpsProxy(cert: TestCertificate, targetPort: number, port = 0): Promise<HttpsProxy> {
  const server: Server = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    const upstream = request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
