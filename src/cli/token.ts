// `postern token create|list|revoke|hash`: static bearer tokens for CI and scripts.
import type { Config } from '../config/schema.js';
import { createStaticToken, hashStaticToken, STATIC_TOKEN_NAME } from '../guard/static-tokens.js';
import { IdentityError } from '../identity/types.js';
import { openStore } from '../store/index.js';
import { readStdin } from './stdin.js';

export async function runToken(config: Config, args: string[], opts: { roles?: string[] }): Promise<number> {
  const [action, name] = args;
  if (action === 'hash') {
    process.stdout.write(`${hashStaticToken(await readStdin())}\n`);
    return 0;
  }
  const store = await openStore(config);
  try {
    if (action === 'list') {
      for (const t of await store.listStaticTokens()) process.stdout.write(`${t.name}\t${t.roles.join(',') || '-'}\n`);
      for (const [n, t] of Object.entries(config.identity.staticTokens)) {
        process.stdout.write(`${n}\t${t.roles.join(',') || '-'}\t(config)\n`);
      }
      return 0;
    }
    if (!name || !STATIC_TOKEN_NAME.test(name) || (action !== 'create' && action !== 'revoke')) {
      throw new IdentityError('usage: postern token create NAME [--role R] | token revoke NAME | token list | token hash < token');
    }
    if (action === 'revoke') {
      if (!(await store.deleteStaticToken(name))) throw new IdentityError(`no stored token "${name}"`);
      process.stdout.write(`token ${name} revoked (a running Postern on this store refuses it within a second)\n`);
      return 0;
    }
    const token = await createStaticToken(store, name, opts.roles ?? []);
    process.stdout.write(`${token}\n`);
    process.stderr.write(`token "${name}" created; it is shown only this once. Send it as "Authorization: Bearer <token>".\n`);
    return 0;
  } finally {
    await store.close();
  }
}
