// `postern client add|list|remove`: pre-registered clients (for clients that cannot register
// themselves), kept in the store. `add` makes a secret with --secret and prints it once; only its
// hash is kept. Clients in the config (auth.clients) are listed too, and are changed there.
import type { Config } from '../config/schema.js';
import { configSchema } from '../config/schema.js';
import { randomBytes } from 'node:crypto';
import { hashStaticToken } from '../guard/static-tokens.js';
import { IdentityError } from '../identity/types.js';
import { listPreregistered, removePreregistered, storePreregistered } from '../oauth/preregistered-clients.js';
import { openStore } from '../store/index.js';

const USAGE =
  'usage: postern client add ID --name NAME --redirect-uri URI [--redirect-uri URI …] [--scope S …] [--secret]' + ' | client list | client remove ID';

export interface ClientOptions {
  name?: string;
  redirectUris?: string[];
  scopes?: string[];
  secret: boolean;
}

/** The entry as the config would hold it, checked by the same rules. */
function entry(id: string, opts: ClientOptions, secretHash?: string) {
  const parsed = configSchema.shape.auth.safeParse({
    clients: [{ id, name: opts.name ?? id, redirectUris: opts.redirectUris ?? [], scopes: opts.scopes, secretHash }],
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = { name: '--name', redirectUris: '--redirect-uri', scopes: '--scope', id: 'ID' }[String(issue.path[2])] ?? 'client';
    throw new IdentityError(`${field}: ${issue.message}\n${USAGE}`);
  }
  return parsed.data.clients[0];
}

export async function runClient(config: Config, args: string[], opts: ClientOptions): Promise<number> {
  const [action, id] = args;
  if (action !== 'list' && !((action === 'add' || action === 'remove') && id)) throw new IdentityError(USAGE);
  const store = await openStore(config);
  try {
    if (action === 'list') {
      for (const c of await listPreregistered(store)) {
        const p = c.payload;
        const uris = Array.isArray(p.redirect_uris) ? p.redirect_uris.join(',') : '-';
        process.stdout.write(`${c.id}\t${p.client_name ?? '-'}\t${uris}\t${p.client_secret ? 'secret' : 'public'}\t${p.scope ?? '*'}\n`);
      }
      for (const c of config.auth.clients) {
        process.stdout.write(
          `${c.id}\t${c.name}\t${c.redirectUris.join(',')}\t${c.secretHash ? 'secret' : 'public'}\t${c.scopes?.join(' ') ?? '*'}\t(config)\n`,
        );
      }
      return 0;
    }
    if (action === 'remove') {
      if (!(await removePreregistered(store, id))) {
        const inConfig = config.auth.clients.some((c) => c.id === id);
        throw new IdentityError(inConfig ? `client "${id}" is in the config file (auth.clients); remove it there` : `no pre-registered client "${id}"`);
      }
      process.stdout.write(`client ${id} removed; it gets no new tokens (access tokens it holds last until they expire)\n`);
      return 0;
    }
    if (config.auth.clients.some((c) => c.id === id)) throw new IdentityError(`client "${id}" is already in the config file (auth.clients)`);
    const existing = await store.oidcFind('Client', id);
    if (existing && existing.payload.preregistered !== true) throw new IdentityError(`"${id}" is the id of a registered client; choose another`);
    const secret = opts.secret ? randomBytes(32).toString('base64url') : undefined;
    await storePreregistered(store, entry(id, opts, secret && hashStaticToken(secret)));
    if (secret) {
      process.stdout.write(`${secret}\n`);
      process.stderr.write(
        `client "${id}" added with a secret, shown only this once (client_secret_basic or client_secret_post).\n` +
          'A running Postern that accepted no client secret yet needs a restart to accept this one.\n',
      );
    } else {
      process.stdout.write(`client ${id} added (public: PKCE, no secret)\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}
