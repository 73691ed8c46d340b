// Reading small urlencoded form posts from a raw node request, with a size bound and a
// content-type check, so that a malformed post is a 4xx and never a crash.
import type { IncomingMessage } from 'node:http';

export class FormError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const LIMIT = 16 * 1024;

export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new FormError(415, 'the form must be posted as application/x-www-form-urlencoded');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > LIMIT) throw new FormError(413, 'the form is too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
