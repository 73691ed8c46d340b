// The SQLite store's schema, as the list of migrations that built it: a database at
// user_version N has had the first N applied. Append only; never edit one that shipped.
import type Database from 'better-sqlite3';

const migrations: string[] = [
  `CREATE TABLE oidc (
     model TEXT NOT NULL,
     id TEXT NOT NULL,
     payload TEXT NOT NULL,
     grant_id TEXT,
     uid TEXT,
     user_code TEXT,
     expires_at INTEGER,
     PRIMARY KEY (model, id)
   );
   CREATE INDEX oidc_grant ON oidc (grant_id) WHERE grant_id IS NOT NULL;
   CREATE INDEX oidc_uid ON oidc (model, uid) WHERE uid IS NOT NULL;
   CREATE INDEX oidc_user_code ON oidc (model, user_code) WHERE user_code IS NOT NULL;
   CREATE INDEX oidc_expires ON oidc (expires_at) WHERE expires_at IS NOT NULL;
   CREATE TABLE users (
     username TEXT PRIMARY KEY,
     password_hash TEXT NOT NULL,
     display_name TEXT,
     email TEXT,
     roles TEXT NOT NULL DEFAULT '[]',
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  `CREATE TABLE static_tokens (
     name TEXT PRIMARY KEY,
     hash TEXT NOT NULL UNIQUE,
     roles TEXT NOT NULL DEFAULT '[]',
     created_at INTEGER NOT NULL
   );`,
  `CREATE TABLE accounts (
     subject TEXT PRIMARY KEY,
     account TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   );`,
  `CREATE TABLE credentials (
     subject TEXT NOT NULL,
     source TEXT NOT NULL,
     sealed TEXT NOT NULL,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (subject, source)
   );`,
  `CREATE TABLE audit (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     time INTEGER NOT NULL,
     kind TEXT NOT NULL,
     action TEXT NOT NULL,
     subject TEXT,
     client TEXT,
     decision TEXT NOT NULL,
     outcome TEXT NOT NULL,
     latency_ms INTEGER,
     detail TEXT
   );
   CREATE INDEX audit_subject_time ON audit (subject, time);
   CREATE INDEX audit_time ON audit (time);`,
  `ALTER TABLE audit ADD COLUMN arguments TEXT;`,
  // A user's grants (oidcGrantsOf, the connected-apps page) by an index instead of parsing every
  // stored grant: with a million grants the scan took about 7 s and blocked the process meanwhile.
  `CREATE INDEX oidc_grant_account ON oidc (json_extract(payload, '$.accountId')) WHERE model = 'Grant';`,
  // Disabled local users (the admin console) and audit searches by client (its clients' last use).
  `ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX audit_client_time ON audit (client, time) WHERE client IS NOT NULL;`,
  // A client's grants (the admin console's revocation and grants filter) by an index, as a user's;
  // with expires_at, the clients holding grants (oidcGrantClients) are counted from the index alone.
  `CREATE INDEX oidc_grant_client ON oidc (json_extract(payload, '$.clientId'), expires_at) WHERE model = 'Grant';`,
];

/** Applies the migrations the database has not had yet, each in its own transaction. */
export function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
