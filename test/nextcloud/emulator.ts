// A Nextcloud stand-in for what the real test server cannot do on demand. It answers the endpoints
// Postern uses exactly as Nextcloud documents them (plus any `routes` a test adds):
//   GET /ocs/v2.php/cloud/user?format=json  (Basic auth with an app password, OCS-APIRequest: true)
//   POST /index.php/login/v2 → {poll:{token,endpoint},login}; POST /login/v2/poll (token=…) →
//   404 until the user granted access on the login page, then {server,loginName,appPassword} once
//   GET /ocs/v2.php/core/getapppassword → 403 (its users sign in with app passwords only)
//   DELETE /ocs/v2.php/core/apppassword → deletes the app password it was called with
// OCS v2 maps the OCS status code to HTTP: 200 on success, 997 "not logged in" → HTTP 401,
// always inside the {"ocs":{"meta":…,"data":…}} envelope.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface EmulatedUser {
  id: string;
  displayname: string;
  email: string | null;
  groups: string[];
  appPasswords: string[];
  enabled?: boolean;
}

export function ocs(res: ServerResponse, http: number, meta: { status: string; statuscode: number; message: string }, data: unknown) {
  const failure = meta.status === 'failure';
  const body = { ocs: { meta: failure ? { ...meta, totalitems: '', itemsperpage: '' } : meta, data } };
  res.writeHead(http, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

const notLoggedIn = (res: ServerResponse) => ocs(res, 401, { status: 'failure', statuscode: 997, message: 'Current user is not logged in' }, []);

interface Flow {
  pollToken: string;
  grantedTo?: { loginName: string; appPassword: string };
}

export class NextcloudEmulator {
  /** Who is "signed in" at Nextcloud when a login-flow page is opened (and grants at once). */
  signedInAs?: string;
  /**
   * A granted flow answers every poll, not only the first: what Nextcloud does for polls that race
   * (it reads the flow, then deletes it, without a lock), made certain.
   */
  grantEveryPoll = false;
  /** The next poll's hold (holdNextPoll): told when that poll arrives, answered once released. */
  private pollHold?: { arrived: () => void; released: Promise<void> };
  private readonly flows = new Map<string, Flow>();
  readonly users = new Map<string, EmulatedUser>();
  readonly requests: Array<{ path: string; ocsHeader: boolean; user?: string }> = [];
  /** Extra answers by "METHOD /path" (checked first): failures the real server cannot be made to give on demand, or apps it lacks. */
  readonly routes = new Map<string, (req: IncomingMessage, res: ServerResponse, user?: EmulatedUser) => void>();
  private server?: Server;
  url = '';

  /**
   * Holds the answer to the next poll until `release()` (to put a race in one order): `held`
   * resolves once that poll has arrived. Polls after it are answered as usual.
   */
  holdNextPoll(): { held: Promise<void>; release: () => void } {
    let arrived!: () => void;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (arrived = resolve));
    this.pollHold = { arrived, released: new Promise<void>((resolve) => (release = resolve)) };
    return { held, release };
  }

  addUser(user: EmulatedUser): void {
    this.users.set(user.id, user);
  }

  private authenticate(req: IncomingMessage): EmulatedUser | undefined {
    const m = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    if (!m) return undefined;
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    const user = this.users.get(decoded.slice(0, i));
    return user?.appPasswords.includes(decoded.slice(i + 1)) ? user : undefined;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://nextcloud');
    const ocsHeader = req.headers['ocs-apirequest'] === 'true';
    const user = this.authenticate(req);
    this.requests.push({ path: url.pathname, ocsHeader, user: user?.id });
    const route = this.routes.get(`${req.method} ${url.pathname}`);
    if (route) return route(req, res, user);
    // Login Flow v2: https://docs.nextcloud.com/server/latest/developer_manual/client_apis/LoginFlow/
    if (url.pathname === '/index.php/login/v2' && req.method === 'POST') {
      const flowToken = randomBytes(32).toString('hex');
      const pollToken = randomBytes(64).toString('hex');
      this.flows.set(flowToken, { pollToken });
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ poll: { token: pollToken, endpoint: `${this.url}/login/v2/poll` }, login: `${this.url}/login/v2/flow/${flowToken}` }));
      return;
    }
    const flowPage = /^\/login\/v2\/flow\/([0-9a-f]+)$/.exec(url.pathname);
    if (flowPage && req.method === 'GET') {
      const flow = this.flows.get(flowPage[1]);
      const user = this.signedInAs && this.users.get(this.signedInAs);
      if (!flow || !user) {
        res.writeHead(403, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!DOCTYPE html><html><body>Access forbidden</body></html>');
        return;
      }
      const appPassword = randomBytes(36).toString('base64url');
      user.appPasswords.push(appPassword);
      flow.grantedTo = { loginName: user.id, appPassword };
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!DOCTYPE html><html><body>Account connected. You can close this window.</body></html>');
      return;
    }
    if (url.pathname === '/login/v2/poll' && req.method === 'POST') {
      let raw = '';
      req.on('data', (d) => (raw += d));
      req.on('end', async () => {
        const hold = this.pollHold;
        this.pollHold = undefined;
        if (hold) {
          hold.arrived();
          await hold.released;
        }
        const token = new URLSearchParams(raw).get('token');
        const entry = [...this.flows].find(([, f]) => f.pollToken === token);
        if (!entry?.[1].grantedTo) {
          res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
          res.end('[]');
          return;
        }
        if (!this.grantEveryPoll) this.flows.delete(entry[0]); // a granted flow answers once
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ server: this.url, ...entry[1].grantedTo }));
      });
      return;
    }
    if (url.pathname === '/ocs/v2.php/core/getapppassword' && req.method === 'GET') {
      if (!ocsHeader || !user) return notLoggedIn(res);
      return ocs(res, 403, { status: 'failure', statuscode: 403, message: 'Password confirmation is required' }, []);
    }
    if (url.pathname === '/ocs/v2.php/core/apppassword' && req.method === 'DELETE') {
      if (!ocsHeader || !user) return notLoggedIn(res);
      const used = Buffer.from(req.headers.authorization!.slice(6), 'base64').toString('utf8').split(':').slice(1).join(':');
      user.appPasswords = user.appPasswords.filter((p) => p !== used);
      return ocs(res, 200, { status: 'ok', statuscode: 200, message: 'OK' }, []);
    }
    if (url.pathname === '/ocs/v2.php/cloud/user' && req.method === 'GET') {
      if (!ocsHeader || !user) return notLoggedIn(res);
      return ocs(
        res,
        200,
        { status: 'ok', statuscode: 200, message: 'OK' },
        {
          enabled: user.enabled ?? true,
          storageLocation: `/var/www/html/data/${user.id}`,
          id: user.id,
          lastLogin: Date.now(),
          backend: 'Database',
          subadmin: [],
          quota: { free: 1e9, used: 0, total: 1e9, relative: 0, quota: -3 },
          manager: '',
          email: user.email,
          additional_mail: [],
          displayname: user.displayname,
          'display-name': user.displayname,
          phone: '',
          address: '',
          website: '',
          twitter: '',
          fediverse: '',
          organisation: '',
          role: '',
          headline: '',
          biography: '',
          profile_enabled: '1',
          pronouns: '',
          groups: user.groups,
          language: 'en',
          locale: '',
          notify_email: null,
          backendCapabilities: { setDisplayName: true, setPassword: true },
        },
      );
    }
    res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!DOCTYPE html><html><body>Page not found</body></html>');
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
