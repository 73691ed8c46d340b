// Debian's Chromium driven by playwright-core, headless, for the tests that need a real browser
// on Postern's pages: the launch flags in one place, and sign-in plus consent as a person does it.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Skip reason for a suite that needs Chromium (never skipped in CI, where it must be there). */
export const chromiumMissing = !existsSync(CHROMIUM) && !process.env.CI ? `${CHROMIUM} missing` : false;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Signs in on Postern's login page and allows on its consent page; ends on `callbackPrefix`. */
export async function signInAndAllow(page: Page, authorizationUrl: string, user: { username: string; password: string }, callbackPrefix: string): Promise<URL> {
  await page.goto(authorizationUrl);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 15_000 });
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Allow access?' }).waitFor({ timeout: 15_000 });
  await Promise.all([
    page.waitForURL((u) => u.toString().startsWith(callbackPrefix), { timeout: 15_000 }),
    page.getByRole('button', { name: 'Allow' }).click(),
  ]);
  return new URL(page.url());
}
