// The peer authorization server of the flows benchmark, run as a process of its own
// (`node --import tsx bench/peer-auth-server.ts <port> <dir>`): better-auth with its MCP plugin on
// SQLite (better-sqlite3), set up as its documentation shows for an MCP server — email and
// password sign-in, dynamic client registration at /api/auth/mcp/register, PKCE required, consent
// on an application-hosted page (better-auth leaves that page to the application; this one is the
// smallest that works: its script posts the answer to /api/auth/oauth2/consent). The database gets
// the pragmas Postern's own store uses (WAL, synchronous=NORMAL), so the two differ in their
// servers, not in their SQLite settings. One user is created at start; prints `ready` when it serves.
// Imported (by bench/peer-auth.ts, for its constants) it starts nothing.
import { createServer } from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import { mcp } from 'better-auth/plugins';

export const PEER_USER = { email: 'admin@example.test', password: 'peer-bench-password-0123', name: 'Admin' };
/** Where the application hosts its consent page, and the scope an MCP client asks for besides offline_access. */
export const PEER_CONSENT_PAGE = '/consent';
export const PEER_SCOPE = 'mcp:tools';

const CONSENT_HTML = `<!doctype html><title>Allow access</title><p>An application asks for access to your account.</p>
<button id="allow">Allow</button><script>
document.getElementById('allow').onclick = async () => {
  const code = new URLSearchParams(location.search).get('consent_code');
  const res = await fetch('/api/auth/oauth2/consent', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accept: true, consent_code: code }) });
  location.href = (await res.json()).redirectURI;
};
</script>`;

/** Opens the database in `dir`, migrates it, creates the user and serves on 127.0.0.1:`port`. */
async function serve(port: number, dir: string): Promise<void> {
  const db = new Database(path.join(dir, 'auth.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');

  const baseURL = `http://127.0.0.1:${port}`;
  const options = {
    baseURL,
    secret: 'peer-bench-secret-0123456789abcdefghijklmnopqrstuvwxyz',
    database: db,
    emailAndPassword: { enabled: true },
    // Every flow registers from one address: no rate limit (Postern's is lifted the same way).
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    plugins: [
      mcp({
        loginPage: '/login',
        oidcConfig: { loginPage: '/login', consentPage: PEER_CONSENT_PAGE, requirePKCE: true, allowDynamicClientRegistration: true, scopes: [PEER_SCOPE] },
      }),
    ],
  };
  const { runMigrations } = await getMigrations(options);
  await runMigrations();
  const auth = betterAuth(options);
  await auth.api.signUpEmail({ body: PEER_USER });

  const handle = toNodeHandler(auth);
  createServer((req, res) => {
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname.startsWith('/api/auth/')) return void handle(req, res);
    if (pathname === PEER_CONSENT_PAGE) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      return void res.end(CONSENT_HTML);
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }).listen(port, '127.0.0.1', () => console.log('ready'));
  // Exit normally on SIGTERM, so that a CPU profile (BENCH_CPU_PROF) is written.
  process.once('SIGTERM', () => process.exit(0));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [port, dir] = [Number(process.argv[2]), process.argv[3]];
  if (!Number.isInteger(port) || !dir) {
    console.error('usage: peer-auth-server.ts <port> <data dir>');
    process.exit(2);
  }
  await serve(port, dir);
}
