// `postern store copy --from sqlite:PATH --to postgres://…`: an install signed into with the SDK
// client moves from SQLite to PostgreSQL; the copy counts what it copied, refuses a target that
// holds data unless forced, ends in the same state when repeated, and afterwards the client's saved
// refresh token keeps working against the PostgreSQL-backed server on the same address. And
// `postern migrate` on a fresh PostgreSQL schema.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mcpInitialize, refresh } from './helpers/flow.js';
import { runPostern } from './helpers/cli.js';
import { connectWithOAuth, MemoryOAuthProvider } from './helpers/oauth-client.js';
import { pgSchema, type PgSchema } from './helpers/postgres.js';
import { POSTGRES_SCHEMA_VERSION } from '../src/store/postgres/migrations.js';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { startTestPostern, tempDir } from './helpers/postern.js';

const SECRET = randomBytes(32).toString('base64url');

describe('postern store copy', () => {
  let schema: PgSchema;
  const dataDir = tempDir();
  const file = path.join(dataDir, 'postern.db');
  const provider = new MemoryOAuthProvider();
  let port: number;
  let password: string;

  before(async () => {
    schema = await pgSchema();
    const sqlite = await startTestPostern({ dataDir, auth: { secret: SECRET } });
    port = sqlite.port;
    password = sqlite.password;
    const { client } = await connectWithOAuth(sqlite.mcpUrl, provider, { username: 'admin', password });
    await client.callTool({ name: 'everything__echo', arguments: { message: 'before the move' } });
    await client.close();
    const token = await runPostern(['token', 'create', 'ci'], { env: { POSTERN_DATA_DIR: dataDir } });
    assert.equal(token.status, 0, token.stderr);
    await sqlite.close();
    // A local user the admin console disabled: the flag moves with them.
    const store = new SqliteStore(file);
    await store.putUser({ username: 'gone', passwordHash: 'x', roles: [], disabled: true, createdAt: 1, updatedAt: 1 });
    await store.close();
  });
  after(() => schema?.drop());

  const copy = (...extra: string[]) => runPostern(['store', 'copy', '--from', `sqlite:${file}`, '--to', schema.url, ...extra]);
  const counts = async () =>
    Object.fromEntries(
      await Promise.all(
        ['oidc', 'users', 'settings', 'static_tokens', 'audit'].map(async (t) => [
          t,
          Number((await schema.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`))[0].n),
        ]),
      ),
    );

  it('copies every table and counts it, refuses a filled target without --force, and ends the same when repeated', async () => {
    const first = await copy();
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /copied and counted: oidc \d+, users 2, settings \d+, static_tokens 1, accounts 0, credentials 0, audit \d+/);
    const once = await counts();
    const flags = await schema.query<{ username: string; disabled: boolean }>('SELECT username, disabled FROM users ORDER BY username');
    assert.deepEqual(
      flags.map((u) => [u.username, u.disabled]),
      [
        ['admin', false],
        ['gone', true],
      ],
    );
    assert.ok(once.oidc > 0 && once.audit > 0, JSON.stringify(once));
    const refused = await copy();
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /already holds data .*pass --force/);
    const forced = await copy('--force');
    assert.equal(forced.status, 0, forced.stderr);
    assert.deepEqual(await counts(), once, 'the same rows after a second copy');
  });

  it('refuses a source that is not a Postern database and a target that is not PostgreSQL', async () => {
    const bad = await runPostern(['store', 'copy', '--from', `sqlite:${path.join(dataDir, 'nothing.db')}`, '--to', schema.url]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /cannot be opened/);
    const wrong = await runPostern(['store', 'copy', '--from', `sqlite:${file}`, '--to', 'mysql://x']);
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /--to must be a postgres:\/\/ URL/);
  });

  it('`postern migrate` brings a fresh PostgreSQL schema up to date, and again finds nothing to do', async () => {
    const fresh = await pgSchema();
    try {
      const env = { POSTERN_STORE: 'postgres', POSTERN_DATABASE_URL: fresh.url, POSTERN_DATA_DIR: tempDir() };
      for (let i = 0; i < 2; i++) {
        const res = await runPostern(['migrate'], { env });
        assert.equal(res.status, 0, res.stderr);
        assert.match(res.stdout, /the postgres store's schema is up to date/);
      }
      const versions = await fresh.query<{ version: number }>('SELECT version FROM postern_migrations');
      assert.deepEqual(
        versions.map((v) => v.version),
        Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, i) => i + 1),
      );
      const unreachable = await runPostern(['migrate'], { env: { ...env, POSTERN_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test' } });
      assert.notEqual(unreachable.status, 0);
      assert.match(unreachable.stderr, /^postern: store\.url: PostgreSQL at 127\.0\.0\.1:1\/test cannot be used \(.*ECONNREFUSED/);
      assert.doesNotMatch(unreachable.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      await fresh.drop();
    }
  });

  it("the client's saved refresh token works against the PostgreSQL-backed server", async () => {
    const pg = await startTestPostern({ dataDir: tempDir(), server: { port }, store: { driver: 'postgres', url: schema.url }, auth: { secret: SECRET } });
    try {
      assert.equal(pg.initialPassword, undefined, 'the copied user is there');
      const res = await refresh(pg.issuer, provider.info!.client_id, provider.savedTokens!.refresh_token!);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const init = await mcpInitialize(pg.mcpUrl, res.body.access_token);
      await init.body?.cancel();
      assert.equal(init.status, 200);
      const { client } = await connectWithOAuth(pg.mcpUrl, provider, { username: 'admin', password });
      const echoed = await client.callTool({ name: 'everything__echo', arguments: { message: 'after the move' } });
      assert.match(JSON.stringify(echoed.content), /after the move/);
      await client.close();
    } finally {
      await pg.destroy();
    }
  });
});
