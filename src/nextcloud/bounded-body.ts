// Reading Nextcloud's answers without ever holding more than a set number of bytes: a body is
// consumed as a stream and the read stops (and the connection is released) at the limit.
import { NextcloudError } from './errors.js';

/** Reads the whole body into memory, or throws 'too-large' once it passes maxBytes. */
export async function readCapped(res: Response, maxBytes: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw tooLarge(what, maxBytes, declared);
  }
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge(what, maxBytes);
    }
    parts.push(value);
  }
  return Buffer.concat(parts, total);
}

/** The same body, as a Response that errors once more than maxBytes have passed through. */
export function cappedResponse(res: Response, maxBytes: number, what: string): Response {
  if (!res.body) return res;
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    void res.body.cancel();
    throw tooLarge(what, maxBytes, declared);
  }
  let total = 0;
  const body = res.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        total += chunk.byteLength;
        if (total > maxBytes) controller.error(tooLarge(what, maxBytes));
        else controller.enqueue(chunk);
      },
    }),
  );
  const capped = new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  Object.defineProperty(capped, 'url', { value: res.url });
  return capped;
}

function tooLarge(what: string, maxBytes: number, size?: number): NextcloudError {
  const sized = size !== undefined ? ` (${size} bytes)` : '';
  return new NextcloudError(
    'too-large',
    `${what}${sized} is larger than the ${maxBytes}-byte limit for one read; ask for less (a smaller listing, a narrower range) or read a smaller file.`,
  );
}
