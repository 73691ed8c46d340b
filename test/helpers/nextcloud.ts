// The shared real-Nextcloud test fixture (../shared/nextcloud beside the repository): makes sure
// it answers (runs its start.sh, which is idempotent and quick when the server already runs), and
// knows its URL, users and passwords. Every test starts it with the same NC_APPS, so that no test
// makes start.sh reinstall the instance the others are using. Also signs a user in on Nextcloud's
// own login page over plain HTTP, as a browser would.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestBrowser, type Page } from './browser.js';

/** The apps every test enables; start.sh reinstalls when this changes, so it is one value for all. */
export const NC_APPS = 'notes deck tables oidc';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const START_SCRIPT = path.resolve(root, '../shared/nextcloud/start.sh');

export interface NextcloudUser {
  user: string;
  password: string;
}

/** The fixture's address, folder and accounts, from the same env defaults start.sh uses. */
export const nextcloud = {
  url: `http://127.0.0.1:${process.env.NC_PORT ?? '18380'}`,
  /** NC_ROOT: www/ (code, `php www/occ`), data/ (data dir; data/owncloud.db is the SQLite database). */
  root: process.env.NC_ROOT ?? path.join(process.env.TMPDIR || '/tmp', 'nextcloud-fixture'),
  admin: { user: 'admin', password: process.env.NC_ADMIN_PASS ?? 'Adm1n-Pass-2026!' } as NextcloudUser,
  /** In group "staff". */
  alice: { user: 'alice', password: process.env.NC_ALICE_PASS ?? 'Alice-Pass-2026!' } as NextcloudUser,
  /** In no group. */
  bob: { user: 'bob', password: process.env.NC_BOB_PASS ?? 'Bob-Pass-2026!' } as NextcloudUser,
};

/** A cold start installs packages and Nextcloud (about 30 s plus apt); already running: well under a second. */
const START_TIMEOUT_MS = 15 * 60_000;

async function answers(): Promise<boolean> {
  try {
    const res = await fetch(`${nextcloud.url}/status.php`, { signal: AbortSignal.timeout(5000) });
    return res.ok && ((await res.json()) as { installed?: boolean }).installed === true;
  } catch {
    return false;
  }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, timeout: START_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${command} ${args.join(' ')} failed: ${err.message}\n${stderr.slice(-4000)}`)) : resolve(stdout),
    );
  });
}

/** `php occ …` on the fixture. */
export const occ = (...args: string[]): Promise<string> => run('php', [path.join(nextcloud.root, 'www/occ'), ...args]);

/**
 * start.sh raises the oidc app's limit of anonymous registrations under a mixed-case key, but
 * Nextcloud looks the override up in lower case, so the app's 10 a minute would apply to every test
 * run on this machine. The lower-case override is set once (config.php; start.sh ignores it).
 */
const REGISTRATION_LIMIT_KEY = ['ratelimit_overwrite', 'oidc.dynamicregistration.registerclient', 'anon'];
async function liftRegistrationLimit(): Promise<void> {
  const current = await occ('config:system:get', ...REGISTRATION_LIMIT_KEY, 'limit').catch(() => '');
  if (current.trim() === '1000') return;
  await occ('config:system:set', ...REGISTRATION_LIMIT_KEY, 'limit', '--value=1000', '--type=integer');
  await occ('config:system:set', ...REGISTRATION_LIMIT_KEY, 'period', '--value=60', '--type=integer');
}

let ready: Promise<typeof nextcloud> | undefined;

/** Makes sure the fixture serves (starting it with NC_APPS when it does not) and returns its description. */
export function ensureNextcloud(): Promise<typeof nextcloud> {
  ready ??= (async () => {
    if (!(await answers())) {
      await run('bash', [START_SCRIPT], { ...process.env, NC_APPS });
      if (!(await answers())) throw new Error(`Nextcloud does not answer at ${nextcloud.url} after ${START_SCRIPT}`);
    }
    await liftRegistrationLimit();
    return nextcloud;
  })();
  ready.catch(() => (ready = undefined));
  return ready;
}

/** A test browser that Nextcloud serves its HTML pages to (it wants Accept: text/html and a browser User-Agent). */
export function nextcloudBrowser(): TestBrowser {
  return new TestBrowser({ accept: 'text/html', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) postern-test' });
}

export function requestToken(html: string): string {
  const token = /data-requesttoken="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error(`no data-requesttoken on the page:\n${html.slice(0, 1000)}`);
  return token
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#0?39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}

/** Sign-in attempts: Nextcloud on SQLite now and then answers 500 ("database is locked") under concurrent load. */
const SIGN_IN_ATTEMPTS = 3;

/**
 * Opens `url` (a Nextcloud page that sends a signed-out browser to its login page), signs `who` in
 * with the login form, and returns where Nextcloud goes next (following redirects up to `stopAt`).
 */
export async function signInAtNextcloud(browser: TestBrowser, url: string, who: NextcloudUser, stopAt?: string): Promise<Page> {
  for (let attempt = 1; ; attempt++) {
    const login = await browser.go(url, {}, stopAt);
    const loginUrl = new URL(login.url);
    if (!loginUrl.pathname.endsWith('/login')) {
      if (attempt > 1) return login; // the failed attempt signed the user in after all
      throw new Error(`expected Nextcloud's login page, got ${login.status} ${login.url}`);
    }
    const page = await browser.go(
      `${nextcloud.url}/index.php/login`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: nextcloud.url },
        body: new URLSearchParams({
          user: who.user,
          password: who.password,
          requesttoken: requestToken(login.html),
          redirect_url: loginUrl.searchParams.get('redirect_url') ?? '',
          timezone: 'UTC',
          timezone_offset: '0',
        }).toString(),
      },
      stopAt,
    );
    if (page.status >= 500 && attempt < SIGN_IN_ATTEMPTS) {
      await new Promise((r) => setTimeout(r, 500 * attempt));
      continue;
    }
    if (new URL(page.url).pathname.endsWith('/login')) throw new Error(`Nextcloud did not sign ${who.user} in (${page.status} ${page.url})`);
    return page;
  }
}

/** Does Nextcloud accept this login name + app password (OCS cloud/user)? */
export async function appPasswordWorks(loginName: string, appPassword: string): Promise<boolean> {
  const res = await fetch(`${nextcloud.url}/ocs/v2.php/cloud/user?format=json`, {
    headers: { authorization: `Basic ${Buffer.from(`${loginName}:${appPassword}`).toString('base64')}`, 'ocs-apirequest': 'true', accept: 'application/json' },
    signal: AbortSignal.timeout(15_000),
  });
  await res.body?.cancel();
  if (res.status !== 200 && res.status !== 401) throw new Error(`Nextcloud answered ${res.status} to cloud/user`);
  return res.status === 200;
}

/** The app passwords (auth tokens) of a user, from `occ user:auth-tokens:list`. */
export async function authTokensOf(user: string): Promise<Array<{ id: number; name: string }>> {
  return JSON.parse(await occ('user:auth-tokens:list', user, '--output=json')) as Array<{ id: number; name: string }>;
}
