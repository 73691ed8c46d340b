// Makes docs/images/remote-oauth-account.png: the account page of a gateway with two per-user
// OAuth backends, one linked, one not. A second Postern plays the remote server; Debian's
// Chromium does what a person does: signs in, follows "Connect tracker", signs in at the remote,
// allows, and lands back on the account page. Run: node --import tsx scripts/screenshot-remote-oauth.ts
import path from 'node:path';
import { launchChromium } from '../test/helpers/chromium.js';
import { LOOPBACK, startGateway, startRemote } from '../test/helpers/remote-link.js';

const out = path.join(import.meta.dirname, '..', 'docs', 'images', 'remote-oauth-account.png');
const alice = { username: 'alice', password: 'alice-gateway-pw' };
const aliceRemote = { username: 'alice', password: 'alice-remote-pw' };

const remote = await startRemote([aliceRemote]);
const entry = { url: remote.mcpUrl, auth: 'oauth', allowPrivateAddresses: LOOPBACK };
const gw = await startGateway([alice], remote.mcpUrl, {}, { mcpServers: { tracker: entry, notes: entry } });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 760, height: 720 } });
  await page.goto(`${gw.issuer}/account`);
  await page.getByLabel('Username').fill(alice.username);
  await page.getByLabel('Password').fill(alice.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Connected apps' }).waitFor({ timeout: 15_000 });
  await page.getByRole('link', { name: 'Connect tracker' }).click();
  await page.getByLabel('Username').fill(aliceRemote.username);
  await page.getByLabel('Password').fill(aliceRemote.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.getByRole('heading', { name: 'Connected servers' }).waitFor({ timeout: 15_000 });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await gw.destroy();
  await remote.destroy();
}
