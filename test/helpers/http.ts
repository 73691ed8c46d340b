// The HTTP client of the test browser and OAuth client helpers: node:http over one keep-alive
// agent, the way a browser or an OAuth client keeps its connections to a server open. It replaces
// fetch there because the flows benchmark runs these helpers on the same two cores as Postern, and
// fetch's per-request machinery (web streams, Request/Response objects) cost the client about
// 2 ms of CPU per flow of six requests (docs/performance.md, "OAuth flows").
import { Agent, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

const agent = new Agent({ keepAlive: true });
/** For https: URLs, only servers with a certificate of a CA handed to trustTestCa() (none by default). */
let httpsAgent = new HttpsAgent({ keepAlive: true, ca: [] });

/** Lets send() reach https servers whose certificate `ca` signed (a test CA), besides none. */
export function trustTestCa(ca: string): void {
  httpsAgent = new HttpsAgent({ keepAlive: true, ca: [ca] });
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
}

export interface HttpRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Sends one request (http:, or https: to a trusted test CA) and reads the whole answer; redirects are not followed. */
export function send(url: string, init: HttpRequest = {}): Promise<HttpAnswer> {
  const target = new URL(url);
  const tls = target.protocol === 'https:';
  if (!tls && target.protocol !== 'http:') return Promise.reject(new Error(`only http(s): URLs are served here, not ${url}`));
  const body = init.body === undefined ? undefined : Buffer.from(init.body);
  const headers: Record<string, string> = { ...init.headers };
  if (body) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const options = { method: init.method ?? 'GET', headers, agent: tls ? httpsAgent : agent };
    const req = (tls ? httpsRequest : request)(target, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const answer = new Headers();
        const raw = res.rawHeaders;
        for (let i = 0; i < raw.length; i += 2) answer.append(raw[i], raw[i + 1]);
        resolve({ status: res.statusCode ?? 0, headers: answer, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
