// Attack family: malformed cookies. A cookie Postern or oidc-provider reads, sent with a value
// that does not decode (`%`, `%zz`, a lone surrogate's escape), without a signature, with a
// forged one, twice, or with odd names, is treated as absent or answered with a clean 4xx — never
// a 5xx, and never an error-level log line (anyone could fill the error log with it).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { LogCapture } from './helpers/postern.js';
import { COOKIE_NAMES, openLogin, usePostern } from './helpers/attack.js';
import { register } from './helpers/flow.js';
import { send } from './helpers/http.js';

const BAD_VALUES = ['%', '%zz', '%E0%A4%A', '%ED%A0%80', 'a.b', '.', '|', 'x|1.%', '""', '"%"', 'a'.repeat(3000), '%00', 'é'];

describe('malformed cookies', () => {
  const log = new LogCapture();
  const at = usePostern({ log });
  let interaction: string;

  before(async () => {
    const { body } = await register(at.p.issuer);
    const { page } = await openLogin(at.p, body.client_id);
    interaction = new URL(page.url).pathname;
  });

  it('Cookie: postern_account=% on GET /account and POST /account/withdraw is a clean answer, not a 500', async () => {
    const page = await send(`${at.p.issuer}/account`, { headers: { cookie: 'postern_account=%' } });
    assert.equal(page.status, 303, 'treated as signed out: off to sign in');
    const withdraw = await send(`${at.p.issuer}/account/withdraw`, {
      method: 'POST',
      headers: { cookie: 'postern_account=%', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant=x&csrf=y',
    });
    assert.equal(withdraw.status, 401, 'treated as signed out');
    assert.deepEqual(log.errors, []);
  });

  it('every cookie name with every malformed value, on every page that reads cookies, answers below 500', async () => {
    const targets: Array<[string, string]> = [
      ['GET', '/account'],
      ['POST', '/account/withdraw'],
      ['GET', '/account/callback?state=x&code=y'],
      ['GET', interaction],
      ['POST', `${interaction}/login`],
      ['POST', `${interaction}/confirm`],
      ['GET', '/authorize?client_id=x'],
      ['GET', '/'],
    ];
    const failures: string[] = [];
    for (const [method, path] of targets) {
      for (const name of COOKIE_NAMES) {
        for (const value of BAD_VALUES) {
          for (const cookie of [`${name}=${value}`, `${name}=${value}; ${name}=${value}`, `${name}=ok; x=${value}`]) {
            const res = await send(`${at.p.issuer}${path}`, {
              method,
              headers: { cookie, ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
              body: method === 'POST' ? 'csrf=x&username=a&password=b' : undefined,
            });
            if (res.status >= 500) failures.push(`${method} ${path} cookie ${cookie.slice(0, 60)} → ${res.status}`);
          }
        }
      }
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(log.errors, []);
  });
});
