// Which HTTP layer for edge/: plain node:http vs Hono on @hono/node-server, measured on the
// shape of Postern's hot path — a POST of a JSON-RPC request answered by a fetch-style handler
// (Request → Response), which is what the MCP SDK's transports are. Run: npm run bench:http
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { Hono } from 'hono';
import { getRequestListener } from '@hono/node-server';

const result = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'x'.repeat(400) }] } });
const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'everything__echo', arguments: { message: 'y'.repeat(200) } } });

/** The fetch-shaped handler both layers call, standing in for the SDK transport. */
async function handler(request: Request): Promise<Response> {
  const message = (await request.json()) as { id: number };
  return new Response(result.replace('"id":1', `"id":${message.id}`), { headers: { 'content-type': 'application/json' } });
}

async function plainListener(req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const request = new Request(`http://${req.headers.host}${req.url}`, {
    method: req.method,
    headers: req.headers as Record<string, string>,
    body: Buffer.concat(chunks),
  });
  const response = await handler(request);
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
}

const hono = new Hono();
hono.post('/mcp', (c) => handler(c.req.raw));

async function serve(listener: (req: IncomingMessage, res: ServerResponse) => unknown): Promise<{ url: string; close(): void }> {
  const server = createServer((req, res) => void listener(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, close: () => server.close() };
}

async function measure(url: string, seconds: number) {
  const r = await autocannon({ url, method: 'POST', body, headers: { 'content-type': 'application/json' }, connections: 10, duration: seconds });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const variants: Array<[string, (req: IncomingMessage, res: ServerResponse) => unknown]> = [
  ['node:http + Request/Response', plainListener],
  ['hono (@hono/node-server)', getRequestListener(hono.fetch)],
];
const rows: Array<[string, Awaited<ReturnType<typeof measure>>]> = [];
for (const [name, listener] of variants) {
  const s = await serve(listener);
  await measure(s.url, 1); // warm-up
  rows.push([name, await measure(s.url, seconds)]);
  s.close();
}
const base = rows[0][1].rps;
console.log('| layer | req/s | p50 ms | p99 ms | ratio to node:http | errors |');
console.log('|---|---|---|---|---|---|');
for (const [name, r] of rows) console.log(`| ${name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${(r.rps / base).toFixed(2)} | ${r.errors} |`);
