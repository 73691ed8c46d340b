// The caller's own bearer token, carried through a backend call with AsyncLocalStorage so that a
// backend configured with `forwardUserToken` (the same service as the external authorization
// server, e.g. Nextcloud) receives it on that call's HTTP requests. Requests made outside a call
// (connecting, listing) keep the backend's configured headers; no other backend ever sees it.
import { AsyncLocalStorage } from 'node:async_hooks';

const current = new AsyncLocalStorage<string>();

/** Runs `fn` with `token` as the caller's token (no token: runs it as is). */
export function withUserToken<T>(token: string | undefined, fn: () => Promise<T>): Promise<T> {
  return token ? current.run(token, fn) : fn();
}

/** A fetch that replaces the Authorization header with the caller's token while inside a call. */
export function userTokenFetch(base: typeof fetch = fetch): typeof fetch {
  return (input, init) => {
    const token = current.getStore();
    if (!token) return base(input, init);
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${token}`);
    return base(input, { ...init, headers });
  };
}
