// The PostgreSQL store's schema, as the list of migrations that built it: a database whose
// postern_migrations table lists versions 1..N has had the first N. Append only; never edit one
// that shipped. Each runs in its own transaction, all under one advisory lock, so replicas that
// start together (or `postern migrate` beside them) apply each migration once.
import type pg from 'pg';

/** The advisory lock's key: "post" in ASCII, a number no other application is likely to pick. */
const LOCK_KEY = 0x706f7374;

const migrations: string[] = [
  `CREATE TABLE oidc (
     model TEXT NOT NULL,
     id TEXT NOT NULL,
     payload JSONB NOT NULL,
     grant_id TEXT,
     uid TEXT,
     user_code TEXT,
     expires_at BIGINT,
     PRIMARY KEY (model, id)
   );
   CREATE INDEX oidc_grant ON oidc (model, grant_id) WHERE grant_id IS NOT NULL;
   CREATE INDEX oidc_uid ON oidc (model, uid) WHERE uid IS NOT NULL;
   CREATE INDEX oidc_user_code ON oidc (model, user_code) WHERE user_code IS NOT NULL;
   CREATE INDEX oidc_expires ON oidc (expires_at) WHERE expires_at IS NOT NULL;
   CREATE INDEX oidc_grant_account ON oidc ((payload->>'accountId')) WHERE model = 'Grant';
   CREATE TABLE users (
     username TEXT PRIMARY KEY,
     password_hash TEXT NOT NULL,
     display_name TEXT,
     email TEXT,
     roles JSONB NOT NULL DEFAULT '[]',
     created_at BIGINT NOT NULL,
     updated_at BIGINT NOT NULL
   );
   CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE static_tokens (
     name TEXT PRIMARY KEY,
     hash TEXT NOT NULL UNIQUE,
     roles JSONB NOT NULL DEFAULT '[]',
     created_at BIGINT NOT NULL
   );
   CREATE TABLE accounts (subject TEXT PRIMARY KEY, account JSONB NOT NULL, updated_at BIGINT NOT NULL);
   CREATE TABLE credentials (
     subject TEXT NOT NULL,
     source TEXT NOT NULL,
     sealed TEXT NOT NULL,
     updated_at BIGINT NOT NULL,
     PRIMARY KEY (subject, source)
   );
   CREATE TABLE audit (
     id BIGSERIAL PRIMARY KEY,
     time BIGINT NOT NULL,
     kind TEXT NOT NULL,
     action TEXT NOT NULL,
     subject TEXT,
     client TEXT,
     decision TEXT NOT NULL,
     outcome TEXT NOT NULL,
     latency_ms INTEGER,
     detail TEXT,
     arguments TEXT
   );
   CREATE INDEX audit_subject_time ON audit (subject, time);
   CREATE INDEX audit_time ON audit (time);
   -- rate-limiter-flexible's RateLimiterPostgres table (its own layout), shared by every counter.
   CREATE TABLE rate_limits (key VARCHAR(255) PRIMARY KEY, points INTEGER NOT NULL DEFAULT 0, expire BIGINT);`,
  // Disabled local users (the admin console) and audit searches by client (its clients' last use).
  `ALTER TABLE users ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT false;
   CREATE INDEX audit_client_time ON audit (client, time) WHERE client IS NOT NULL;`,
  // A client's grants (the admin console's revocation and grants filter) by an index, as a user's.
  `CREATE INDEX oidc_grant_client ON oidc ((payload->>'clientId')) WHERE model = 'Grant';`,
];

/** The newest schema version this build knows. */
export const POSTGRES_SCHEMA_VERSION = migrations.length;

/** Applies the migrations the database has not had yet; returns the versions applied. */
export async function migratePostgres(pool: pg.Pool): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    try {
      await client.query('CREATE TABLE IF NOT EXISTS postern_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
      const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM postern_migrations');
      const current = rows[0].v ?? 0;
      if (current > migrations.length) {
        throw new Error(`the database's schema is version ${current}, newer than this Postern knows (${migrations.length}); upgrade Postern`);
      }
      for (let v = current; v < migrations.length; v++) {
        await client.query('BEGIN');
        try {
          await client.query(migrations[v]);
          await client.query('INSERT INTO postern_migrations (version) VALUES ($1)', [v + 1]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
        applied.push(v + 1);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
    }
  } finally {
    client.release();
  }
  return applied;
}
