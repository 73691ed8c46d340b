// A PostgreSQL schema of its own for a test run, on the local server (127.0.0.1:5432, trust,
// database `test`; POSTERN_TEST_PG overrides the server URL): created by pgSchema(), its URL
// points the connections' search_path at it, and drop() removes it with everything in it.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_SERVER = process.env.POSTERN_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface PgSchema {
  name: string;
  /** A store.url whose connections work in this schema. */
  url: string;
  /** Runs one statement in this schema (assertions on the tables). */
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_SERVER });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export async function pgSchema(prefix = 'postern_test'): Promise<PgSchema> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`CREATE SCHEMA ${name}`));
  const url = `${PG_SERVER}?options=${encodeURIComponent(`-c search_path=${name}`)}`;
  return {
    name,
    url,
    query: (text, values) => admin(async (c) => (await c.query(`SET search_path = ${name}`), (await c.query(text, values)).rows)),
    drop: () => admin((c) => c.query(`DROP SCHEMA ${name} CASCADE`)).then(() => undefined),
  };
}
