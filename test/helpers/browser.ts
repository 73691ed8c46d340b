// A minimal browser for the authorization flow: follows redirects by hand, keeps cookies, and
// submits Postern's login and consent forms the way a person would.
import { send, type HttpRequest } from './http.js';

/** What a browser sends with every request besides cookies. */
const BROWSER_HEADERS = { accept: '*/*', 'user-agent': 'postern-test-browser' };

export class CookieJar {
  /** host → name → value (hosts are kept apart as a browser does; paths are not modelled). */
  private readonly hosts = new Map<string, Map<string, string>>();

  private jar(url: string): Map<string, string> {
    const host = new URL(url).hostname;
    let jar = this.hosts.get(host);
    if (!jar) this.hosts.set(host, (jar = new Map()));
    return jar;
  }

  store(url: string, headers: Headers): void {
    const cookies = this.jar(url);
    for (const line of headers.getSetCookie()) {
      const [pair] = line.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') cookies.delete(name);
      else cookies.set(name, value);
    }
  }

  header(url: string): string {
    return [...this.jar(url)].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export interface Page {
  url: string;
  status: number;
  html: string;
  headers: Headers;
}

export class TestBrowser {
  readonly jar = new CookieJar();

  /** `extraHeaders` go with every request, as a reverse proxy would add them. */
  constructor(private readonly extraHeaders: Record<string, string> = {}) {}

  /** Requests `url`, following redirects until a page or a redirect to `stopAt` (the client callback). */
  async go(url: string, init: HttpRequest = {}, stopAt?: string): Promise<Page> {
    let current = url;
    let request: HttpRequest = init;
    for (let hops = 0; hops < 20; hops++) {
      const cookie = this.jar.header(current);
      const res = await send(current, {
        ...request,
        headers: { ...BROWSER_HEADERS, ...this.extraHeaders, ...request.headers, ...(cookie ? { cookie } : {}) },
      });
      this.jar.store(current, res.headers);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        const next = new URL(location, current).toString();
        if (stopAt && next.startsWith(stopAt)) {
          return { url: next, status: res.status, html: '', headers: res.headers };
        }
        current = next;
        request = {};
        continue;
      }
      return { url: current, status: res.status, html: res.text, headers: res.headers };
    }
    throw new Error('too many redirects');
  }

  /** Posts the form whose action ends with `actionSuffix` on `page`, with extra fields. */
  async submit(page: Page, actionSuffix: string, fields: Record<string, string> = {}, stopAt?: string): Promise<Page> {
    const form = findForm(page.html, actionSuffix);
    const body = new URLSearchParams({ ...form.fields, ...fields });
    return this.go(
      new URL(form.action, page.url).toString(),
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: body.toString(),
      },
      stopAt,
    );
  }
}

export function findForm(html: string, actionSuffix: string): { action: string; fields: Record<string, string> } {
  const forms = [...html.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)];
  const match = forms.find((f) => f[1].endsWith(actionSuffix));
  if (!match) throw new Error(`no form with action *${actionSuffix} on the page:\n${html.slice(0, 2000)}`);
  const fields: Record<string, string> = {};
  for (const input of match[2].matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) {
    fields[input[1]] = input[2].replace(/&amp;/g, '&').replace(/&quot;/g, '"');
  }
  return { action: match[1].replace(/&amp;/g, '&'), fields };
}

/** Logs in and consents; returns the redirect to the client's callback. */
export async function authorizeInBrowser(authorizationUrl: string, callbackPrefix: string, user: { username: string; password: string }) {
  const browser = new TestBrowser();
  const login = await browser.go(authorizationUrl, {}, callbackPrefix);
  if (!login.html.includes('Sign in')) throw new Error(`expected the login page, got ${login.status} ${login.url}\n${login.html.slice(0, 1000)}`);
  const consent = await browser.submit(login, '/login', user, callbackPrefix);
  if (consent.url.startsWith(callbackPrefix)) return { browser, callback: new URL(consent.url) };
  const done = await browser.submit(consent, '/confirm', {}, callbackPrefix);
  if (!done.url.startsWith(callbackPrefix)) throw new Error(`expected a redirect to the client, got ${done.status} ${done.url}\n${done.html.slice(0, 1000)}`);
  return { browser, callback: new URL(done.url) };
}
