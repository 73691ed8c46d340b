// A real OpenID provider (oidc-provider) for tests: an upstream IdP or an external authorization
// server. Its dev pages take any password; `signInAtIdp` walks a browser through them. A Map
// adapter lets tests delete what the provider stored (e.g. a registered client).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Provider, { type Adapter, type AdapterPayload, type Configuration } from 'oidc-provider';
import { freePort } from './backends.js';
import type { Page, TestBrowser } from './browser.js';

export class MapAdapter implements Adapter {
  static readonly data = new Map<string, { payload: AdapterPayload; expiresAt?: number }>();

  constructor(private readonly model: string) {}

  private key(id: string) {
    return `${this.model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number) {
    MapAdapter.data.set(this.key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
  }

  async find(id: string) {
    const hit = MapAdapter.data.get(this.key(id));
    if (!hit || (hit.expiresAt && hit.expiresAt < Date.now())) return undefined;
    return hit.payload;
  }

  async findByUid(uid: string) {
    for (const [k, v] of MapAdapter.data) if (k.startsWith(`${this.model}:`) && v.payload.uid === uid) return v.payload;
    return undefined;
  }

  async findByUserCode(userCode: string) {
    for (const [k, v] of MapAdapter.data) if (k.startsWith(`${this.model}:`) && v.payload.userCode === userCode) return v.payload;
    return undefined;
  }

  async consume(id: string) {
    const hit = MapAdapter.data.get(this.key(id));
    if (hit) hit.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string) {
    MapAdapter.data.delete(this.key(id));
  }

  async revokeByGrantId(grantId: string) {
    for (const [k, v] of MapAdapter.data) if (v.payload.grantId === grantId) MapAdapter.data.delete(k);
  }
}

export interface Idp {
  issuer: string;
  provider: Provider;
  /** Paths requested so far, in order (for asserting what Postern asked). */
  requests: string[];
  close(): Promise<void>;
}

export type Route = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

/** Starts an OpenID provider on http://localhost:<port>; `route` may answer some paths itself. */
export async function startIdp(configuration: Configuration, opts: { port?: number; route?: Route } = {}): Promise<Idp> {
  const port = opts.port ?? (await freePort());
  const issuer = `http://localhost:${port}`;
  const provider = new Provider(issuer, {
    cookies: { keys: ['idp-cookie-key-for-tests'] },
    ...configuration,
    features: { devInteractions: { enabled: true }, ...configuration.features },
  });
  const requests: string[] = [];
  const callback = provider.callback();
  const server: Server = createServer(async (req, res) => {
    requests.push(new URL(req.url ?? '/', issuer).pathname);
    if (opts.route && (await opts.route(req, res))) return;
    callback(req, res);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return {
    issuer,
    provider,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** Signs `login` in on the provider's dev pages from `authorizationUrl` and returns the callback URL. */
export async function signInAtIdp(browser: TestBrowser, authorizationUrl: string | Page, login: string, callbackPrefix: string): Promise<URL> {
  const start = typeof authorizationUrl === 'string' ? await browser.go(authorizationUrl, {}, callbackPrefix) : authorizationUrl;
  const consent = await browser.submit(start, '', { login, password: 'any' }, callbackPrefix);
  const done = await browser.submit(consent, '', {}, callbackPrefix);
  return new URL(done.url);
}
