// `postern user add|passwd|list`: manages local users in the store.
import type { Config } from '../config/schema.js';
import { LocalUsers } from '../identity/local/users.js';
import { IdentityError } from '../identity/types.js';
import { openStore } from '../store/index.js';
import { readStdin } from './stdin.js';

export async function runUser(config: Config, args: string[], opts: { passwordStdin: boolean; roles?: string[] }): Promise<number> {
  const [action, name] = args;
  const store = await openStore(config);
  try {
    const users = new LocalUsers(store);
    if (action === 'list') {
      for (const u of await store.listUsers()) {
        process.stdout.write(`${u.username}\t${u.roles.join(',') || '-'}\n`);
      }
      return 0;
    }
    if ((action !== 'add' && action !== 'passwd') || !name) {
      throw new IdentityError('usage: postern user add NAME | user passwd NAME | user list');
    }
    const given = opts.passwordStdin ? await readStdin() : undefined;
    const password = await users.setPassword(name, given, { create: action === 'add', roles: opts.roles });
    if (given === undefined) process.stdout.write(`password for ${name}: ${password}\n`);
    else process.stdout.write(`password for ${name} set\n`);
    return 0;
  } finally {
    await store.close();
  }
}
