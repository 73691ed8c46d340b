// Every response waits for the store's writes: the store may hold a turn's writes in one
// transaction (store/sqlite/database.ts), and a client must never receive a code or a token that a crash
// could still take back. The headers are the first thing a response sends, so the store commits
// when they are written; if it cannot, the connection is dropped instead of the response going out.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../store/types.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export function commitBeforeResponse(store: Pick<Store, 'commit'>, handler: Handler, onError: (err: unknown) => void): Handler {
  return (req, res) => {
    const writeHead = res.writeHead;
    // Node calls writeHead itself before a body that was sent without it (res.write, res.end).
    res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
      try {
        store.commit();
      } catch (err) {
        onError(err);
        this.destroy();
        return this;
      }
      return writeHead.apply(this, args);
    } as ServerResponse['writeHead'];
    return handler(req, res);
  };
}
