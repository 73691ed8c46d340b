// `postern backup` copies the SQLite store of a running Postern while it writes; `postern restore`
// refuses while the store is open, keeps the database it replaces, and brings the backup back.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runPostern } from './helpers/cli.js';
import { startTestPostern, tempDir } from './helpers/postern.js';

const users = (file: string): string[] => {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare<[], { username: string }>('SELECT username FROM users ORDER BY username')
      .all()
      .map((u) => u.username);
  } finally {
    db.close();
  }
};

describe('postern backup and restore (SQLite)', () => {
  const dir = tempDir('postern-backup-');
  const dataDir = path.join(dir, 'data');
  const env = { POSTERN_DATA_DIR: dataDir };
  const backup = path.join(dir, 'postern-backup.db');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('backs up a running Postern while it writes, into one self-contained file', async () => {
    const p = await startTestPostern({ dataDir, mcpServers: {} });
    try {
      const alice = await runPostern(['user', 'add', 'alice', '--password-stdin'], { env, input: 'correct horse battery\n' });
      assert.equal(alice.status, 0, alice.stderr);
      // Some bulk, so that the copy takes more than one step, and writes going on meanwhile.
      for (let i = 0; i < 2000; i++) await p.store.oidcUpsert('Grant', `bulk-${i}`, { accountId: 'local:alice', pad: 'x'.repeat(800) });
      p.store.commit();
      let copying = true;
      let written = 0;
      const writer = (async () => {
        while (copying && written < 20_000) {
          await p.store.oidcUpsert('Session', `during-${written++}`, { pad: 'y'.repeat(400) });
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      const res = await runPostern(['backup', backup], { env });
      copying = false;
      await writer;
      assert.equal(res.status, 0, res.stderr);
      assert.ok(written > 0, 'Postern wrote while the backup ran');
      assert.match(res.stdout, new RegExp(`backup of .*postern\\.db written to ${backup}`));
      assert.match(res.stdout, /instance secret .*secret is not in the copy/);

      assert.equal(statSync(backup).mode & 0o777, 0o600);
      const copy = new Database(backup, { readonly: true, fileMustExist: true });
      try {
        assert.equal(copy.pragma('quick_check', { simple: true }), 'ok');
        assert.equal(copy.pragma('journal_mode', { simple: true }), 'delete');
        assert.equal((copy.prepare("SELECT count(*) AS n FROM oidc WHERE id LIKE 'bulk-%'").get() as { n: number }).n, 2000);
      } finally {
        copy.close();
      }
      assert.deepEqual(users(backup), ['admin', 'alice']);
      assert.deepEqual(
        readdirSync(dir).filter((f) => f.startsWith('postern-backup')),
        ['postern-backup.db'],
        'no journal or partial file left beside it',
      );

      const again = await runPostern(['backup', backup], { env });
      assert.equal(again.status, 2);
      assert.match(again.stderr, /already exists; choose a new name/);

      assert.equal((await runPostern(['user', 'add', 'bob', '--password-stdin'], { env, input: 'another long passphrase\n' })).status, 0);
      const busy = await runPostern(['restore', backup], { env });
      assert.equal(busy.status, 2);
      assert.match(busy.stderr, /is in use; stop Postern/);
      assert.ok((await p.store.getUser('bob')) !== undefined, 'a refused restore changes nothing');
    } finally {
      await p.close();
    }
  });

  it('restores with Postern stopped and keeps the database it replaced', async () => {
    const res = await runPostern(['restore', backup], { env });
    assert.equal(res.status, 0, res.stderr);
    const kept = /the database it replaced is kept as (\S+)/.exec(res.stdout)?.[1];
    assert.ok(kept && existsSync(kept), res.stdout);
    assert.deepEqual(users(kept), ['admin', 'alice', 'bob']);

    const p = await startTestPostern({ dataDir, mcpServers: {} });
    try {
      assert.ok(await p.store.getUser('alice'));
      assert.equal(await p.store.getUser('bob'), undefined, 'bob came after the backup');
      assert.ok(await p.store.oidcFind('Grant', 'bulk-1999'));
    } finally {
      await p.close();
    }
  });

  it('refuses a file that is not a Postern database, and stores that keep nothing here', async () => {
    const junk = path.join(dir, 'junk.db');
    writeFileSync(junk, 'not a database at all, just text that is long enough to have a header');
    const bad = await runPostern(['restore', junk], { env });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /junk\.db: (not a readable SQLite database|cannot be opened)/);

    const other = path.join(dir, 'other.db');
    new Database(other).exec('CREATE TABLE notes (x)');
    const foreign = await runPostern(['restore', other], { env });
    assert.equal(foreign.status, 2);
    assert.match(foreign.stderr, /not a Postern database \(no oidc, users, settings table\)/);
    assert.deepEqual(users(path.join(dataDir, 'postern.db')), ['admin', 'alice'], 'the store is untouched');

    const memory = await runPostern(['backup', path.join(dir, 'm.db')], { env: { ...env, POSTERN_STORE: 'memory' } });
    assert.equal(memory.status, 2);
    assert.match(memory.stderr, /store\.driver is "memory", which keeps nothing to back up/);
    const usage = await runPostern(['backup'], { env });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /usage: postern backup FILE/);
  });
});
