// Reading small urlencoded form posts from a raw node request, with a size bound and a
// content-type check, so that a malformed post is a 4xx and never a crash. (The edge refuses a
// larger body with 413 before it gets here: edge/body-limit.ts; this read stays bounded anyway.)
import type { IncomingMessage } from 'node:http';
import { FORM_BODY_LIMIT } from '../config/limits.js';
import { errorPage } from '../pages/html.js';
import type { Csrf } from './csrf.js';

export class FormError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new FormError(415, 'the form must be posted as application/x-www-form-urlencoded');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > FORM_BODY_LIMIT) throw new FormError(413, 'the form is too large');
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof FormError) throw err;
    // Cut off: the client went away, or the edge refused the body and answered 413 already.
    throw new FormError(400, 'the form did not arrive in full');
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** A posted form whose CSRF token is valid for `context`, or the status and page to answer instead. */
export async function checkedForm(req: IncomingMessage, csrf: Csrf, context: string): Promise<URLSearchParams | { status: number; page: string }> {
  let form: URLSearchParams;
  try {
    form = await readForm(req);
  } catch (err) {
    if (err instanceof FormError) return { status: err.status, page: errorPage('Bad request', err.message) };
    throw err;
  }
  if (!csrf.check(context, form.get('csrf'))) {
    return { status: 403, page: errorPage('Form expired', 'This form is not valid any more (CSRF check failed).') };
  }
  return form;
}
