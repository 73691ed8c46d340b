// How the answer to a POST forwarded to an HTTP backend is read, chunk by chunk as undici hands
// the chunks over: an SSE stream (each event's JSON-RPC message passed on as it arrives), a JSON
// body (its message or batch passed on at the end), or, for an error status or a content type
// MCP does not use, an error that names what the backend answered.
import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import type { JSONRPCMessage } from '@modelcontextprotocol/client';

export interface AnswerBody {
  /** Takes the next chunk; throws when the backend sent something it cannot be. */
  feed(chunk: Buffer): void;
  /** The body is complete; throws when the answer is an error. */
  end(): void;
}

/** Keeps the start of a body (for an error message) or all of it (a JSON answer). */
class Collected {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit = Infinity) {}

  feed(chunk: Buffer): void {
    if (this.size >= this.limit) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  text(): string {
    return Buffer.concat(this.chunks, this.size).toString('utf8');
  }
}

function sseBody(onMessage: (m: JSONRPCMessage) => void): AnswerBody {
  const parser = createParser({
    onEvent: (event) => {
      if (!event.data || (event.event && event.event !== 'message')) return;
      let message: JSONRPCMessage;
      try {
        message = JSON.parse(event.data) as JSONRPCMessage;
      } catch {
        return; // the SDK client skips an event it cannot parse too
      }
      if (message && typeof message === 'object') onMessage(message);
    },
  });
  const text = new StringDecoder('utf8');
  return { feed: (chunk) => parser.feed(text.write(chunk)), end: () => parser.feed(text.end()) };
}

function jsonBody(onMessage: (m: JSONRPCMessage) => void): AnswerBody {
  const body = new Collected();
  return {
    feed: (chunk) => body.feed(chunk),
    end: () => {
      const data = JSON.parse(body.text()) as JSONRPCMessage | JSONRPCMessage[];
      for (const m of Array.isArray(data) ? data : [data]) onMessage(m);
    },
  };
}

function failedBody(status: number): AnswerBody {
  const body = new Collected(500);
  return {
    feed: (chunk) => body.feed(chunk),
    end: () => {
      throw new Error(`Error POSTing to endpoint (HTTP ${status}): ${body.text().slice(0, 500)}`);
    },
  };
}

/** The reader for an answer with this status and Content-Type. */
export function answerBody(status: number, contentType: string | string[] | undefined, onMessage: (m: JSONRPCMessage) => void): AnswerBody {
  if (status < 200 || status >= 300) return failedBody(status);
  const type = String(contentType ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  if (type === 'text/event-stream') return sseBody(onMessage);
  if (type === 'application/json') return jsonBody(onMessage);
  return {
    feed: () => {},
    end: () => {
      throw new Error(`Unexpected content type from the backend: ${type || '(none)'}`);
    },
  };
}
