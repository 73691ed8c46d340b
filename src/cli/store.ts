// `postern migrate`: brings the configured store's schema up to date (PostgreSQL: under the same
// advisory lock replicas take at start). `postern store copy --from sqlite:PATH --to postgres://…`:
// moves an install from SQLite to PostgreSQL (store/copy.ts).
import type { Config } from '../config/schema.js';
import { CopyError, copySqliteToPostgres } from '../store/copy.js';
import { openStore } from '../store/index.js';
import { UsageError } from './usage-error.js';

export async function runMigrate(config: Config): Promise<number> {
  const store = await openStore(config);
  await store.close();
  process.stdout.write(`the ${store.kind} store's schema is up to date\n`);
  return 0;
}

const STORE_USAGE = 'usage: postern store copy --from sqlite:PATH --to postgres://USER@HOST/DB [--force]';

export async function runStore(args: string[], opts: { from?: string; to?: string; force: boolean }): Promise<number> {
  if (args[0] !== 'copy' || args.length > 1) throw new UsageError(STORE_USAGE);
  if (!opts.from?.startsWith('sqlite:') || opts.from.length === 'sqlite:'.length)
    throw new UsageError(`store copy: --from must be sqlite:PATH; ${STORE_USAGE}`);
  if (!opts.to || !/^postgres(ql)?:\/\//.test(opts.to)) throw new UsageError(`store copy: --to must be a postgres:// URL; ${STORE_USAGE}`);
  let copied: Record<string, number>;
  try {
    ({ copied } = await copySqliteToPostgres(opts.from.slice('sqlite:'.length), opts.to, { force: opts.force }));
  } catch (err) {
    if (err instanceof CopyError || (err as Error).name === 'BackupError') throw new UsageError(`store copy: ${(err as Error).message}`);
    throw err;
  }
  process.stdout.write(
    `copied and counted: ${Object.entries(copied)
      .map(([table, n]) => `${table} ${n}`)
      .join(', ')}\n`,
  );
  process.stdout.write('Point store.driver: postgres and store.url at the target, with the same auth.secret (or secret file) as before.\n');
  return 0;
}
