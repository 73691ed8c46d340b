// The doctor's HTTP client (undici): one request at a time, never following redirects, every
// request bounded in time (connect, headers, body) and every body read bounded in size. A CA file
// given with --ca is trusted besides the system's roots; TLS checks are never turned off.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, request, type Dispatcher } from 'undici';

/** The most of any answer body the doctor reads. */
export const BODY_LIMIT = 256 * 1024;

export interface ProbeOptions {
  /** Bound of each request and of each wait, in milliseconds. */
  timeoutMs: number;
  /** PEM file of an extra certificate authority to trust (a test or internal CA). */
  caFile?: string;
}

export interface Answer {
  url: string;
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The body was longer than the limit and was cut there. */
  truncated: boolean;
  /** Local time (ms) when the request was sent and when its headers arrived. */
  sentAt: number;
  headersAt: number;
}

/** A request that got no HTTP answer: connection, TLS, or time-out. `code` is Node's or undici's. */
export class ProbeError extends Error {
  constructor(
    readonly url: string,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface SendInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One streamed answer, watched as it arrives (stream checks). */
export interface Watched {
  status: number;
  headers: Record<string, string>;
  /** ms from sending to each piece of the body, and the text of the first pieces. */
  pieces: number[];
  text: string;
  /** The body ended within the wait (a stream that stays open has not). */
  ended: boolean;
}

export class Prober {
  readonly dispatcher: Dispatcher;
  readonly ca?: string;

  constructor(readonly options: ProbeOptions) {
    this.ca = options.caFile ? readFileSync(options.caFile, 'utf8') : undefined;
    this.dispatcher = new Agent({
      connect: { timeout: options.timeoutMs, ...(this.ca ? { ca: [...rootCertificates, this.ca] } : {}) },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 1000,
    });
  }

  /** Sends one request and reads at most `limit` bytes of the answer. */
  async send(url: string, init: SendInit = {}, limit = BODY_LIMIT): Promise<Answer> {
    const sentAt = Date.now();
    const res = await this.open(url, init, this.options.timeoutMs);
    const headersAt = Date.now();
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        size += chunk.length;
        if (size > limit) {
          truncated = true;
          break;
        }
      }
    } catch (err) {
      throw probeError(url, err);
    } finally {
      res.body.destroy();
    }
    const text = Buffer.concat(chunks).subarray(0, limit).toString('utf8');
    return { url, status: res.statusCode, headers: flatten(res.headers), text, truncated, sentAt, headersAt };
  }

  /**
   * Sends one request whose answer may stream and notes when the pieces of its body arrive: waits
   * at most `waitMs` from sending (headers included), and after the first piece at most `graceMs`
   * more, to see whether the stream ends there. Returns undefined when no headers came in time.
   */
  async watch(url: string, init: SendInit, waitMs: number, graceMs = 1000): Promise<Watched | undefined> {
    const controller = new AbortController();
    const sentAt = Date.now();
    let timer = setTimeout(() => controller.abort(), waitMs);
    const pieces: number[] = [];
    let text = '';
    try {
      let res: Dispatcher.ResponseData;
      try {
        res = await this.open(url, init, waitMs, controller.signal);
      } catch (err) {
        if (controller.signal.aborted || (err as ProbeError).code === 'TIMEOUT') return undefined;
        throw err;
      }
      let ended = false;
      try {
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          pieces.push(Date.now() - sentAt);
          if (text.length < 4096) text += chunk.toString('utf8');
          if (pieces.length === 1) {
            clearTimeout(timer);
            timer = setTimeout(() => controller.abort(), Math.min(graceMs, Math.max(0, waitMs - pieces[0])));
          }
        }
        ended = true;
      } catch {
        // The wait ran out (or the stream broke) while the body was still open.
      } finally {
        res.body.destroy();
      }
      return { status: res.statusCode, headers: flatten(res.headers), pieces, text, ended };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async open(url: string, init: SendInit, timeoutMs: number, signal?: AbortSignal): Promise<Dispatcher.ResponseData> {
    try {
      return await request(url, {
        method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
        headers: init.headers,
        body: init.body,
        dispatcher: this.dispatcher,
        signal: signal ?? AbortSignal.timeout(timeoutMs),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (err) {
      throw probeError(url, err);
    }
  }
}

function flatten(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function probeError(url: string, err: unknown): ProbeError {
  if (err instanceof ProbeError) return err;
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string; message?: string } };
  const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT';
  const code = timedOut ? 'TIMEOUT' : (e.cause?.code ?? (typeof e.code === 'string' ? e.code : 'ERROR'));
  const message = e.cause?.message ?? e.message ?? String(err);
  return new ProbeError(url, code, code === 'TIMEOUT' ? 'no answer within the time limit' : message);
}

/** A short description of a failed request, for a check's detail. */
export function describeFailure(err: unknown): string {
  if (err instanceof ProbeError) return `${err.url}: ${err.message} (${err.code})`;
  return String((err as Error)?.message ?? err);
}
