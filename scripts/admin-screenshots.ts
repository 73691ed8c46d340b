// `npm run docs:screenshots`: pictures of every admin console page for docs/admin.md. Starts a
// throwaway Postern (the demo backend, a few users, clients, grants, a static token, tool calls
// in the audit trail), signs in as its admin in Debian's Chromium and saves one PNG per page,
// 1280 pixels wide, in docs/admin/.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { pino } from 'pino';
import { demoBackends } from '../src/config/load.js';
import { configSchema } from '../src/config/schema.js';
import { LocalUsers } from '../src/identity/local/users.js';
import { startPostern } from '../src/postern.js';
import { authorizeInBrowser } from '../test/helpers/browser.js';
import { launchChromium } from '../test/helpers/chromium.js';
import { authorizeUrl, pkce, REDIRECT, redeem, register } from '../test/helpers/flow.js';
import { tempDir } from '../test/helpers/postern.js';

const out = path.resolve(import.meta.dirname, '../docs/admin');
const dataDir = tempDir('postern-shots-');
const config = configSchema.parse({
  server: { port: 0 },
  dataDir,
  log: { level: 'silent' },
  // A secret in the file, for the configuration page to show redacted.
  auth: { secret: 'demo-secret-shown-redacted-on-the-configuration-page' },
  policy: {
    rules: [
      { roles: ['admin'], tools: ['*'], policy: 'allow' },
      { roles: ['dev'], tools: ['everything__*', '!everything__trigger-*', '!everything__toggle-*'], policy: 'allow' },
      { roles: ['viewer'], tools: ['everything__echo', 'everything__get-*'], policy: 'allow' },
    ],
  },
  identity: { staticTokens: { deploy: { hash: `sha256:${'d'.repeat(43)}`, roles: ['dev'] } } },
});
config.mcpServers = demoBackends();
const postern = await startPostern(config, { log: pino({ level: 'silent' }) });
const { issuer, store } = postern;

/** Signs `username` in for a newly registered client called `name`, and calls a tool or two with its token. */
async function connect(name: string, username: string, password: string, tools: string[]): Promise<void> {
  const { body: client } = await register(issuer, { client_name: name });
  const { verifier, challenge } = pkce();
  const { callback } = await authorizeInBrowser(authorizeUrl(issuer, postern.mcpUrl, client.client_id, { code_challenge: challenge }), REDIRECT, {
    username,
    password,
  });
  const tokens = await redeem(issuer, client.client_id, callback.searchParams.get('code')!, verifier);
  const mcp = new Client({ name, version: '1' });
  await mcp.connect(
    new StreamableHTTPClientTransport(new URL(postern.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${tokens.body.access_token}` } } }),
  );
  for (const tool of tools) await mcp.callTool({ name: tool, arguments: tool.endsWith('echo') ? { message: 'hello' } : {} }).catch(() => {});
  await mcp.close();
}

const browser = await launchChromium();
try {
  const users = new LocalUsers(store);
  const alice = await users.setPassword('alice', undefined, { create: true, roles: ['dev'] });
  const bob = await users.setPassword('bob', undefined, { create: true, roles: ['viewer'] });
  await users.setPassword('mallory', undefined, { create: true, roles: [] });
  await users.setDisabled('mallory', true);
  const now = Math.floor(Date.now() / 1000);
  await store.putAccount({
    subject: 'oidc:corp:8f2c1d',
    displayName: 'Dana Ruiz',
    email: 'dana@example.com',
    groups: ['eng'],
    roles: ['dev'],
    adminRoles: ['admin'],
    updatedAt: now,
  });
  await store.putAccount({ subject: 'nextcloud:erin', displayName: 'Erin', groups: ['staff'], roles: ['viewer'], updatedAt: now });
  await store.putCredential('nextcloud:erin', 'nextcloud', 'v1.sealed-placeholder');
  await store.putCredential('local:alice', 'nextcloud', 'v1.sealed-placeholder');

  await connect('Claude', 'alice', alice, ['everything__echo', 'everything__get-sum', 'everything__trigger-long-running-operation']);
  await connect('Cursor', 'bob', bob, ['everything__echo', 'everything__get-tiny-image']);
  await connect('MCP Inspector', 'admin', postern.initialPassword!, ['everything__echo']);

  mkdirSync(out, { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await page.goto(`${issuer}/admin`);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(postern.initialPassword!);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();

  const shot = async (name: string) => {
    await page.screenshot({ path: path.join(out, `${name}.png`), fullPage: true });
    process.stdout.write(`docs/admin/${name}.png\n`);
  };
  // Users, right after adding one: the password is shown this once.
  await page.getByLabel('Username').fill('carol');
  await page.getByLabel('Roles', { exact: true }).fill('viewer');
  await page.getByRole('button', { name: 'Add user' }).click();
  await page.getByRole('status').waitFor();
  await shot('users');
  for (const name of ['clients', 'grants', 'backends', 'audit', 'keys']) {
    await page.goto(`${issuer}/admin/${name}`);
    await shot(name);
  }
  await page.goto(`${issuer}/admin/tokens`);
  await page.getByLabel('Name').fill('ci');
  await page.getByLabel('Roles', { exact: true }).fill('dev');
  await page.getByRole('button', { name: 'Create token' }).click();
  await page.getByRole('status').waitFor();
  await shot('tokens');
  // The configuration is long: its first screen.
  await page.goto(`${issuer}/admin/config`);
  await page.screenshot({ path: path.join(out, 'config.png') });
  process.stdout.write('docs/admin/config.png\n');
  // What a signed-in user without the admin role sees.
  const other = await browser.newContext({ viewport: { width: 1280, height: 600 } });
  const denied = await other.newPage();
  await denied.goto(`${issuer}/admin`);
  await denied.getByLabel('Username').fill('bob');
  await denied.getByLabel('Password').fill(bob);
  await denied.getByRole('button', { name: 'Sign in' }).click();
  await denied.getByRole('heading', { name: 'Admins only' }).waitFor();
  await denied.screenshot({ path: path.join(out, 'forbidden.png') });
  process.stdout.write('docs/admin/forbidden.png\n');
} finally {
  await browser.close();
  await postern.close();
  rmSync(dataDir, { recursive: true, force: true });
}
