// The address a request comes from, for rate limits and logs: the peer, or with server.trustProxy
// the address the reverse proxy appended last to X-Forwarded-For (earlier entries are whatever the
// client sent, so they are never used).
import type { IncomingMessage } from 'node:http';

export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy
    ? (
        String(req.headers['x-forwarded-for'] ?? '')
          .split(',')
          .pop() ?? ''
      ).trim()
    : '';
  return forwarded || req.socket.remoteAddress || 'unknown';
}
