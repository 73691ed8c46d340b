// A local HTTPS server for client ID metadata documents, with a certificate made at test time:
// openssl makes a throwaway CA and a certificate for localhost / 127.0.0.1 signed by it. Postern
// trusts that CA only through its test-only `documentCa` start option; nothing is trusted globally.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { tempDir } from './postern.js';

export interface TestCertificate {
  ca: string;
  key: string;
  cert: string;
}

/** A CA and a localhost certificate signed by it (about 100 ms of openssl). */
export function makeCertificate(): TestCertificate {
  const dir = tempDir('postern-cert-');
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe', timeout: 30_000 });
  try {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=Postern test CA',
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.pem'),
    );
    openssl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-keyout',
      file('leaf.key'),
      '-out',
      file('leaf.csr'),
    );
    writeFileSync(file('ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
    openssl(
      'x509',
      '-req',
      '-in',
      file('leaf.csr'),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      file('ext'),
      '-out',
      file('leaf.pem'),
    );
    return { ca: readFileSync(file('ca.pem'), 'utf8'), key: readFileSync(file('leaf.key'), 'utf8'), cert: readFileSync(file('leaf.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export type Route = (req: IncomingMessage, res: ServerResponse, url: string) => void;

export interface DocumentServer {
  port: number;
  /** https://localhost:<port><path> */
  url(path: string): string;
  /** Requests seen, per path. */
  hits: Map<string, number>;
  /** Serves `route` (or JSON `body`) at `path`. */
  serve(path: string, route: Route | Record<string, unknown>): void;
  close(): Promise<void>;
}

export function json(res: ServerResponse, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

export async function startDocumentServer(cert: TestCertificate): Promise<DocumentServer> {
  const routes = new Map<string, Route>();
  const hits = new Map<string, number>();
  const server: Server = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    const pathname = new URL(req.url ?? '/', 'https://x').pathname;
    hits.set(pathname, (hits.get(pathname) ?? 0) + 1);
    const route = routes.get(pathname);
    if (route) route(req, res, `https://localhost:${port}${pathname}`);
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (p) => `https://localhost:${port}${p}`,
    hits,
    serve(p, route) {
      routes.set(p, typeof route === 'function' ? route : (_req, res) => json(res, route));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
