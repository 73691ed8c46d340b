// Fetches a URL that someone outside named (a client ID metadata document; the metadata and
// authorization server of a remote MCP server) without letting them aim Postern at its own
// network: https only (plain http to loopback only where allowed);
// every DNS answer is checked (addresses.ts) and the checked address is the one connected to, so
// a second, different answer cannot slip in (DNS rebinding); the connected socket's address is
// checked once more; no redirects; one timeout over the whole exchange, body included; and at
// most `maxBytes` read, counted as the body streams in. A refusal is a FetchRefused error that
// says why. Built on undici (its own Agent, so nothing global changes).
import { lookup } from 'node:dns';
import type { LookupAddress, LookupOneOptions, LookupAllOptions } from 'node:dns';
import { Agent, buildConnector, fetch, Response, type RequestInit } from 'undici';
import { addressKind, isAddressLiteral } from './addresses.js';

export interface GuardedFetchOptions {
  /**
   * Let loopback, private, link-local and the other non-public addresses be fetched (tests,
   * intranets): all of them (true), or those an address test accepts.
   */
  allowPrivateAddresses: boolean | ((address: string) => boolean);
  /** Also fetch plain http from loopback hosts (127.0.0.0/8, ::1, localhost), which must be allowed above too. */
  allowLoopbackHttp?: boolean;
  /** The whole exchange, connection to last byte, in milliseconds. */
  timeoutMs: number;
  /** The most bytes of a body that are read; a longer body fails the fetch. */
  maxBytes: number;
  /** Certificates (PEM) trusted besides the system's; for tests with their own test CA. */
  ca?: string[];
}

export class FetchRefused extends Error {
  override name = 'FetchRefused';
}

export type GuardedFetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** An address as a CIDR test reads it: no brackets, IPv4-mapped IPv6 as IPv4. */
function canonicalAddress(address: string): string {
  const bare = address.replace(/^\[|\]$/g, '');
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(bare) ? bare.slice(7) : bare;
}

/** Why an address may not be connected to, or undefined when it may. */
function addressProblem(address: string, opts: GuardedFetchOptions): string | undefined {
  const kind = addressKind(address);
  if (kind === 'public') return undefined;
  const allow = opts.allowPrivateAddresses;
  if (kind !== 'invalid' && (allow === true || (typeof allow === 'function' && allow(canonicalAddress(address))))) return undefined;
  return `${address} is a ${kind} address, which this server does not fetch from`;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup that refuses a name when any of its addresses is not allowed, and hands on only checked ones. */
function checkedLookup(opts: GuardedFetchOptions) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const problem = addresses.length === 0 ? `${hostname} has no address` : addresses.map((a) => addressProblem(a.address, opts)).find(Boolean);
      if (problem) return callback(new FetchRefused(`${hostname}: ${problem}`), []);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

function guardedConnector(opts: GuardedFetchOptions): buildConnector.connector {
  const connect = buildConnector({ timeout: opts.timeoutMs, ca: opts.ca, lookup: checkedLookup(opts) as never });
  return (options, callback) => {
    // A literal address is never looked up, so it is checked here.
    const literal = isAddressLiteral(options.hostname) ? addressProblem(options.hostname, opts) : undefined;
    if (literal) return callback(new FetchRefused(literal), null);
    connect(options, (err, socket) => {
      if (err) return callback(err, null);
      const problem = addressProblem(socket!.remoteAddress ?? '', opts);
      if (!problem) return callback(null, socket!);
      socket!.destroy();
      callback(new FetchRefused(problem), null);
    });
  };
}

/** The body, cut off with an error once more than `maxBytes` have come in. */
function capped(response: Response, maxBytes: number): Response {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > maxBytes) {
    void response.body?.cancel();
    throw new FetchRefused(`the answer is ${declared} bytes; at most ${maxBytes} are read`);
  }
  if (!response.body) return response;
  const body = response.body as AsyncIterable<Uint8Array>;
  async function* limited() {
    let seen = 0;
    for await (const chunk of body) {
      seen += chunk.byteLength;
      if (seen > maxBytes) throw new FetchRefused(`the answer is larger than ${maxBytes} bytes`);
      yield chunk;
    }
  }
  return new Response(limited() as never, { status: response.status, statusText: response.statusText, headers: response.headers });
}

export function createGuardedFetch(opts: GuardedFetchOptions): GuardedFetch {
  const agent = new Agent({
    connect: guardedConnector(opts),
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
  });
  return async (input, init = {}) => {
    const url = new URL(String(input));
    const loopbackHttp = url.protocol === 'http:' && opts.allowLoopbackHttp && (url.hostname === 'localhost' || addressKind(url.hostname) === 'loopback');
    if (url.protocol !== 'https:' && !loopbackHttp) throw new FetchRefused(`${url.protocol} URLs are not fetched; use https`);
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal as AbortSignal, timeout]) : timeout;
    const response = await fetch(url, { ...init, signal, redirect: 'manual', dispatcher: agent });
    if (response.status >= 300 && response.status < 400) {
      void response.body?.cancel();
      throw new FetchRefused(`${url} answered with a redirect (${response.status}); redirects are not followed`);
    }
    return capped(response, opts.maxBytes);
  };
}
