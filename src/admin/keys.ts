// Keys: the token signing keys (the active one and those kept until their tokens expire), and
// rotation, which this process and every other on the store follow at once (oauth/keys.ts).
import { loadSigningKeys, rotateSigningKey } from '../oauth/keys.js';
import { esc } from '../pages/html.js';
import type { AdminDeps, AdminPage, Notice } from './context.js';
import { actionButton, ident, table, when } from './layout.js';

const PATH = 'keys';

/** How long a retired key stays published: as oauth/setup.ts keeps it. */
const keepFor = (deps: AdminDeps) => deps.config.auth.accessTokenTtl + 300;

async function view(deps: AdminDeps, req: { csrf: string }): Promise<string> {
  const keys = await loadSigningKeys(deps.store, keepFor(deps));
  const rows = keys.all.map((k, i) => [
    ident(k.jwk.kid),
    esc(k.jwk.alg ?? ''),
    i === 0 ? '<span class="allow">signs new tokens</span>' : `verifies until ${when((k.retiredAt ?? 0) + keepFor(deps), 's')}`,
    when(k.createdAt, 's'),
  ]);
  return `${table(['Key id', 'Algorithm', 'Use', 'Created'], rows)}
<p class="muted">Rotating makes a new key sign new tokens at once; older keys keep verifying the tokens they signed until those expire. Tokens are not revoked.</p>
${actionButton(PATH, 'rotate', req.csrf, {}, 'Rotate signing key', 'primary')}`;
}

export const keysPage: AdminPage = {
  path: PATH,
  title: 'Keys',
  view,
  actions: {
    async rotate({ store, audit }, admin): Promise<Notice> {
      const keys = await rotateSigningKey(store);
      audit.admin('keys.rotate', admin, `active=${keys.active.jwk.kid}`);
      return { text: `New signing key ${keys.active.jwk.kid}; ${keys.all.length - 1} older key(s) verify until their tokens expire.` };
    },
  },
};
