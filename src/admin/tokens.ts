// Static tokens: the stored ones (create, shown once; revoke) and the configured ones (read only,
// changed in the configuration). A revoked token is refused at /mcp at once (the store's change
// signal empties the guard's static-token cache).
import { createStaticToken, STATIC_TOKEN_NAME } from '../guard/static-tokens.js';
import { esc } from '../pages/html.js';
import { AdminError, type AdminDeps, type AdminPage, field, type Notice, parseRoles } from './context.js';
import { actionButton, hiddenFields, table, tags, when } from './layout.js';

const PATH = 'tokens';

async function view(deps: AdminDeps, req: { csrf: string }): Promise<string> {
  const stored = (await deps.store.listStaticTokens()).map((t) => [
    `<strong>${esc(t.name)}</strong>`,
    tags(t.roles),
    when(t.createdAt, 's'),
    actionButton(PATH, 'revoke', req.csrf, { name: t.name }, 'Revoke', 'danger'),
  ]);
  const configured = Object.entries(deps.config.identity.staticTokens).map(([name, t]) => [`<strong>${esc(name)}</strong>`, tags(t.roles)]);
  return `<h2>Create a token</h2>
<form method="post" action="/admin/${PATH}/create" class="row">${hiddenFields(req.csrf)}
<div><label for="t-name">Name</label><input id="t-name" name="name" type="text" required maxlength="64" placeholder="e.g. ci"></div>
<div><label for="t-roles">Roles</label><input id="t-roles" name="roles" type="text" placeholder="e.g. dev"></div>
<button type="submit">Create token</button></form>
<p class="muted">A token is shown once, when it is created; Postern keeps only its hash. Creating a token under an existing name replaces it.</p>
<h2>Stored tokens</h2>
${table(['Name', 'Roles', 'Created', ''], stored, 'No stored tokens.')}
<h2>Tokens in the configuration</h2>
${table(['Name', 'Roles'], configured, 'None in identity.staticTokens.')}`;
}

export const tokensPage: AdminPage = {
  path: PATH,
  title: 'Static tokens',
  view,
  actions: {
    async create({ store, audit }, admin, form): Promise<Notice> {
      const name = field(form, 'name', 64);
      if (!STATIC_TOKEN_NAME.test(name)) throw new AdminError(400, 'name: 1-64 letters, digits, "_", "." or "-", starting with a letter or digit');
      const roles = parseRoles(form.get('roles'));
      const token = await createStaticToken(store, name, roles);
      audit.admin('token.create', admin, `${name} roles=${roles.join(',')}`);
      return { text: `Token ${name} created.`, secret: { label: `Token ${name}; send it as "Authorization: Bearer <token>"`, value: token } };
    },
    async revoke({ store, audit }, admin, form): Promise<Notice> {
      const name = field(form, 'name', 64);
      if (!(await store.deleteStaticToken(name))) throw new AdminError(404, `no stored token "${name}"`);
      audit.admin('token.revoke', admin, name);
      return { text: `Token ${name} revoked.` };
    },
  },
};
