// The answer to a POST on /mcp that comes as an SSE stream leaves with its first bytes: its status
// and headers wait until the stream has something to send (an event, a keep-alive comment, or its
// end), and go out in the same write. @hono/node-server otherwise flushes the headers alone as
// soon as the Response is returned, and the answer follows when the call is done. Behind Debian
// 12's Caddy (2.6) an answer that arrives that way is sometimes ended as a complete 200 with an
// empty body, when reading the body after the headers fails there (measured: 9 of 1,800 such
// answers through Caddy 2.6.2, none of 1,957 whose headers and body left together; docs/deploy.md).
// An answer that really streams (progress first) is not helped: it is sent as it comes. A GET's stream (server-initiated messages) keeps its headers at once: it may
// stay silent for long, and the client waits for them to know it is open.
const isEventStream = (res: Response) => (res.headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream');

/** `res` as it is, or, for a POST's event stream, once its first chunk (or its end) is there. */
export async function withFirstBytes(method: string, res: Response): Promise<Response> {
  if (method !== 'POST' || !res.body || !isEventStream(res)) return res;
  const reader = res.body.getReader();
  const first = await reader.read();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.done) controller.close();
      else controller.enqueue(first.value);
    },
    async pull(controller) {
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}
