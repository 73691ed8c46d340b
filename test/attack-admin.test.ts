// Attacks on the page sessions of /account and /admin and on the admin console: a callback URL
// from the attacker's own sign-in carried to a victim's browser (login CSRF), the admin gate under
// path and method variants, and secrets of the configuration page hidden in backend arguments.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { REDACTED, redactConfig } from '../src/admin/redact.js';
import { LocalUsers } from '../src/identity/local/users.js';
import { TestBrowser } from './helpers/browser.js';
import { usePostern } from './helpers/attack.js';
import { send } from './helpers/http.js';
import { LogCapture } from './helpers/postern.js';
import { openLogin } from './helpers/attack.js';
import { register } from './helpers/flow.js';
import { Csrf } from '../src/oauth/csrf.js';
import { deriveKey, loadSecret } from '../src/oauth/secret.js';
import { until } from './helpers/until.js';

describe('attacks on the page sessions: login CSRF', () => {
  const at = usePostern();

  for (const path of ['/account', '/admin']) {
    it(`a ${path}/callback URL of the attacker's own sign-in signs nobody in when another browser opens it`, async () => {
      const { p } = at;
      const password = await new LocalUsers(p.store).setPassword(`mallory${path.slice(1)}`, undefined, { create: true, roles: ['admin'] });
      // The attacker signs in in their own browser and stops before the page's callback.
      const attacker = new TestBrowser();
      const login = await attacker.go(`${p.issuer}${path}`);
      const stopped = await attacker.submit(login, '/login', { username: `mallory${path.slice(1)}`, password }, `${p.issuer}${path}/callback`);
      assert.match(stopped.url, new RegExp(`${path}/callback\\?`), 'the attacker holds a callback URL with a code and state');
      // The victim's browser is sent there (a link, an image, a redirect).
      const victim = new TestBrowser();
      const planted = await send(stopped.url, { headers: { accept: 'text/html' } });
      assert.equal(planted.status, 400, planted.text.slice(0, 300));
      const setCookies = planted.headers.getSetCookie().join('\n');
      assert.doesNotMatch(setCookies, new RegExp(`postern_${path.slice(1)}=[^;]`), 'no page session for the attacker in the victim browser');
      // And the victim's own visit is a sign-in, not the attacker's pages.
      const page = await victim.go(`${p.issuer}${path}`);
      assert.match(page.html, /Sign in/);
      assert.doesNotMatch(page.html, /mallory/);
      // The attacker's code was used up there: their own browser cannot finish with it either.
      const late = await attacker.go(stopped.url);
      assert.equal(late.status, 400);
    });
  }

  it('a flood of sign-ins started elsewhere does not push out one under way', async () => {
    const { p } = at;
    const browser = new TestBrowser();
    const login = await browser.go(`${p.issuer}/account`);
    assert.match(login.html, /Sign in/);
    // More sign-ins than a server-side table would keep (10,000), started by anyone, no cookie needed.
    let left = 10_050;
    await Promise.all(
      Array.from({ length: 25 }, async () => {
        while (left-- > 0) assert.equal((await send(`${p.issuer}/account`)).status, 303);
      }),
    );
    const page = await browser.submit(login, '/login', { username: 'admin', password: p.password });
    assert.equal(page.status, 200, page.html.slice(0, 300));
    assert.match(page.html, /Connected apps/);
  });

  it('the browser that started the sign-in still finishes it', async () => {
    const { p } = at;
    const browser = new TestBrowser();
    const login = await browser.go(`${p.issuer}/admin/users`);
    const page = await browser.submit(login, '/login', { username: 'admin', password: p.password });
    assert.equal(page.status, 200, page.html.slice(0, 300));
    assert.match(page.html, /Signed in as <strong>local:admin<\/strong>/);
    assert.doesNotMatch(browser.jar.header(`${p.issuer}/admin/users`), /postern_admin_signin=[^;]/, 'the sign-in cookie is cleared');
  });
});

/** Sends `path` exactly as written (no URL normalisation of `..`, `.` or `//` on the client side). */
function raw(issuer: string, path: string, method: string, headers: Record<string, string>, body?: string) {
  const { hostname, port } = new URL(issuer);
  return new Promise<{ status: number; headers: Record<string, unknown>; text: string }>((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        path,
        method,
        headers: { host: `${hostname}:${port}`, ...headers, ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('attacks on the admin gate: path and method variants', () => {
  const at = usePostern();

  it('no variant of an admin path reaches an admin page or action for a non-admin or a stranger', async () => {
    const { p } = at;
    const password = await new LocalUsers(p.store).setPassword('eve', undefined, { create: true, roles: ['dev'] });
    const eve = new TestBrowser();
    const login = await eve.go(`${p.issuer}/admin/users`);
    const refused = await eve.submit(login, '/login', { username: 'eve', password });
    assert.equal(refused.status, 403);
    const cookie = eve.jar.header(`${p.issuer}/admin/users`);
    const variants = [
      '/admin/users',
      '/admin/users/',
      '/admin//users',
      '//admin/users',
      '/admin/../admin/users',
      '/admin/./users',
      '/admin/%75sers',
      '/%61dmin/users',
      '/admin%2fusers',
      '/ADMIN/users',
      '/admin/users;x',
      '/admin/users?x=/admin',
      '/admin/audit/export?format=csv',
      '/admin/config',
    ];
    for (const variant of variants) {
      for (const method of ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'DELETE', 'PATCH']) {
        for (const who of [cookie, '']) {
          const res = await raw(
            p.issuer,
            variant,
            method,
            { ...(who ? { cookie: who } : {}), 'content-type': 'application/x-www-form-urlencoded' },
            method === 'GET' || method === 'HEAD' ? undefined : 'csrf=x&name=pwned&username=eve&roles=admin',
          );
          const label = `${method} ${variant} ${who ? 'as eve' : 'signed out'}`;
          assert.ok(res.status < 500, `${label}: ${res.status}`);
          assert.ok(res.status !== 200 && res.status !== 204, `${label}: ${res.status} ${res.text.slice(0, 200)}`);
          assert.doesNotMatch(res.text, /Signed in as|Effective configuration|auth:\s*\n/, label);
          assert.equal(res.headers['content-disposition'], undefined, `${label}: no export`);
        }
      }
    }
    assert.deepEqual(await p.store.listStaticTokens(), [], 'no token was created');
    assert.deepEqual((await p.store.getUser('eve'))?.roles, ['dev'], 'eve is no admin');
  });
});

describe('attacks on the configuration page: secrets in backend arguments and URLs', () => {
  it('hides the value after a secret-like flag, bearer and basic credentials, and header lines', () => {
    const args = [
      '--api-key',
      'sk-secret-1',
      '--token',
      'secret-2',
      '-H',
      'Authorization: Bearer secret-3',
      '--header',
      'X-Api-Key: secret-4',
      '--password=secret-5',
      'Bearer secret-6',
      '--client-secret',
      'secret-7',
      'https://mcp.example/sse?access_token=secret-8&sig=secret-9',
      '--verbose',
      'plain-kept',
    ];
    const shown = JSON.stringify(redactConfig({ mcpServers: { remote: { command: 'npx', args, cwd: '/srv' } } }));
    for (let i = 1; i <= 9; i++) assert.doesNotMatch(shown, new RegExp(`secret-${i}\\b`), `secret-${i} leaked: ${shown}`);
    for (const kept of ['--api-key', '--token', '-H', '--header', '--verbose', 'plain-kept', 'npx', '/srv'])
      assert.ok(shown.includes(`"${kept}"`), `${kept} is shown`);
    assert.ok(shown.includes(REDACTED));
  });
});

describe('attacks on the backends page: a secret in a backend URL', () => {
  const log = new LogCapture();
  const at = usePostern({ config: { mcpServers: { leaky: { url: 'http://user:hunter2-url-secret@127.0.0.1:9/mcp' } } }, log });

  it("a backend's last error names its URL without the password, on the page, in the log and in the status MCP callers' errors quote", async () => {
    const { p } = at;
    await until(() => p.registry.status().some((b) => b.name === 'leaky' && !!b.error), 30_000, 'the backend to fail');
    const error = p.registry.status().find((b) => b.name === 'leaky')?.error ?? '';
    assert.doesNotMatch(error, /hunter2/, error);
    const browser = new TestBrowser();
    const login = await browser.go(`${p.issuer}/admin/backends`);
    await browser.submit(login, '/login', { username: 'admin', password: p.password });
    const page = await browser.go(`${p.issuer}/admin/backends`);
    assert.equal(page.status, 200);
    assert.match(page.html, /leaky/);
    assert.match(page.html, /user:\[redacted\]@127\.0\.0\.1/, 'the rest of the error stays');
    assert.doesNotMatch(page.html, /hunter2/);
    assert.ok(
      log.lines.some((l) => l.msg === 'backend down'),
      'the log has the backend’s failure',
    );
    assert.doesNotMatch(JSON.stringify(log.lines), /hunter2/);
  });
});

describe('attacks on the audit export: CSV injection', () => {
  /** Splits CSV text into fields the way a spreadsheet does with `sep` as its separator (RFC 4180 quotes). */
  function fields(csv: string, sep: string): string[] {
    const out: string[] = [];
    let cur = '';
    let quoted = false;
    for (let i = 0; i < csv.length; i++) {
      const c = csv[i];
      if (quoted) {
        if (c === '"' && csv[i + 1] === '"') (cur += '"'), i++;
        else if (c === '"') quoted = false;
        else cur += c;
      } else if (c === '"' && cur === '') quoted = true;
      else if (c === sep || c === '\n') out.push(cur.replace(/\r$/, '')), (cur = '');
      else cur += c;
    }
    out.push(cur);
    return out;
  }

  it('no field starts a formula, whichever separator the spreadsheet splits on (comma, semicolon, tab)', async () => {
    const { toCsv } = await import('../src/admin/audit.js');
    const evil = ['=1+1', '+1', '-1', '@SUM(A1)', '\t=1', '\r=1', 'x;=HYPERLINK("http://evil.example")', 'x\t=1+1', 'a,=1', 'x;+1;-1;@1', '"=1"'];
    const csv = toCsv(
      evil.map((subject, i) => ({
        time: i,
        kind: 'oauth',
        action: 'login_failed',
        subject,
        client: subject,
        decision: 'deny',
        outcome: 'error',
        detail: subject,
      })),
    );
    for (const sep of [',', ';', '\t']) {
      const bad = fields(csv, sep).filter((f) => /^[=+\-@]/.test(f));
      assert.deepEqual(bad, [], `split on ${JSON.stringify(sep)}:\n${csv}`);
    }
  });
});

describe('attacks on /account: a user disabled while signed in', () => {
  const at = usePostern();

  it('is out of /account at the next request, and /authorize asks them to sign in again (no 500)', async () => {
    const { p } = at;
    const users = new LocalUsers(p.store);
    const password = await users.setPassword('dora', undefined, { create: true, roles: ['dev'] });
    const dora = new TestBrowser();
    const login = await dora.go(`${p.issuer}/account`);
    const page = await dora.submit(login, '/login', { username: 'dora', password });
    assert.match(page.html, /Connected apps/);
    assert.match(page.html, /local:dora/);
    await users.setDisabled('dora', true);
    const after = await dora.go(`${p.issuer}/account`);
    assert.equal(after.status, 200, 'the sign-in page, not an error');
    assert.doesNotMatch(after.html, /Connected apps/, 'no page for a disabled user');
    assert.match(after.html, /Sign in/, `sent to sign in, which a disabled user cannot: ${after.status} ${after.url} ${after.html.slice(0, 600)}`);
    const cookie = dora.jar.header(`${p.issuer}/account`);
    const withdraw = await send(`${p.issuer}/account/withdraw`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'csrf=x&grant=x',
    });
    assert.equal(withdraw.status, 401);
  });
});

describe('attacks on the admin pages: markup in names, CSRF tokens of another page', () => {
  const at = usePostern();
  const MARK = '<img src=x onerror=alert(1)>"\'';

  it('a client name, a typed user name and a client id full of markup are shown as text on every page', async () => {
    const { p } = at;
    const client = (await register(p.issuer, { client_name: `evil ${MARK}` })).body.client_id as string;
    // A failed sign-in puts the typed user name in the audit trail.
    const { browser, page } = await openLogin(p, client);
    await browser.submit(page, '/login', { username: `x${MARK}`, password: 'wrong' });
    const admin = new TestBrowser();
    const login = await admin.go(`${p.issuer}/admin/users`);
    await admin.submit(login, '/login', { username: 'admin', password: p.password });
    for (const path of ['clients', 'grants', 'audit', `audit?user=${encodeURIComponent(`x${MARK}`)}`, `grants?client=${encodeURIComponent(MARK)}`]) {
      const shown = await admin.go(`${p.issuer}/admin/${path}`);
      assert.equal(shown.status, 200, path);
      assert.ok(!shown.html.includes('<img'), `${path}: markup printed as markup`);
    }
    const audit = await admin.go(`${p.issuer}/admin/audit`);
    assert.match(audit.html, /x&lt;img src=x onerror=alert\(1\)&gt;/, 'the typed name is there, as text');
  });

  it("an /account CSRF token, or another user's, opens no admin action", async () => {
    const { p } = at;
    const csrf = new Csrf(deriveKey(loadSecret(p.config), 'csrf'));
    const admin = new TestBrowser();
    const login = await admin.go(`${p.issuer}/admin/tokens`);
    await admin.submit(login, '/login', { username: 'admin', password: p.password });
    const cookie = admin.jar.header(`${p.issuer}/admin/tokens`);
    for (const token of [csrf.token('account:local:admin'), csrf.token('admin:local:other'), csrf.token('local:admin'), csrf.token('admin:')]) {
      const res = await send(`${p.issuer}/admin/tokens/create`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: token, name: 'crossed' }).toString(),
      });
      assert.equal(res.status, 403, res.text.slice(0, 200));
    }
    assert.deepEqual(await p.store.listStaticTokens(), []);
    const own = await send(`${p.issuer}/admin/tokens/create`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: csrf.token('admin:local:admin'), name: 'own' }).toString(),
    });
    assert.equal(own.status, 200, 'the admin’s own token works (the test can tell)');
  });
});
