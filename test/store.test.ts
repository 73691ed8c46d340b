// The Store contract, run against every driver (memory, SQLite and PostgreSQL in a schema of its
// own; a new driver adds itself to `stores`): artifacts with expiry, consume, lookups by uid,
// revocation by grant (with its event, which names the grant's account and client when the grant
// itself is destroyed), users, accounts and credentials, static tokens, the audit trail, settings,
// the change signal, rate-limit counters and the readiness ping.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MemoryStore } from '../src/store/memory.js';
import { SqliteStore } from '../src/store/sqlite/store.js';
import type { Store } from '../src/store/types.js';
import { createAdapterClass, hashId } from '../src/oauth/adapter.js';
import { tempDir } from './helpers/postern.js';
import { CHANGE_POLL_MS } from '../src/store/changes.js';
import { PostgresStore } from '../src/store/postgres/store.js';
import { POSTGRES_SCHEMA_VERSION } from '../src/store/postgres/migrations.js';
import { pgSchema, type PgSchema } from './helpers/postgres.js';

const now = () => Math.floor(Date.now() / 1000);
const dir = tempDir('postern-store-');

const schemas: PgSchema[] = [];
after(async () => {
  for (const schema of schemas) await schema.drop();
});

/** A PostgreSQL store in a fresh schema, dropped after the file's tests. */
async function openPostgres(): Promise<Store> {
  const schema = await pgSchema();
  schemas.push(schema);
  return PostgresStore.open({ url: schema.url, pool: 4 });
}

const stores: Array<[string, () => Store | Promise<Store>]> = [
  ['memory', () => new MemoryStore()],
  ['sqlite', () => new SqliteStore(path.join(dir, `s-${Math.random()}.db`))],
  ['postgres', openPostgres],
];

for (const [kind, open] of stores) {
  describe(`${kind} store`, () => {
    let store: Store;
    before(async () => {
      store = await open();
    });
    after(() => store.close());

    it('keeps, finds and expires artifacts', async () => {
      await store.oidcUpsert('Session', 's1', { uid: 'u1', accountId: 'local:a' }, now() + 60);
      await store.oidcUpsert('Session', 's2', { uid: 'u2' }, now() - 1);
      assert.deepEqual((await store.oidcFind('Session', 's1'))?.payload, { uid: 'u1', accountId: 'local:a' });
      assert.equal(await store.oidcFind('Session', 's2'), undefined, 'expired');
      assert.equal((await store.oidcFindByUid('Session', 'u1'))?.id, 's1');
      assert.equal(await store.oidcFindByUid('Session', 'u2'), undefined);
      assert.equal(await store.oidcCount('Session'), 1);
      assert.equal(await store.sweepExpired(), 1);
      await store.oidcUpsert('Session', 's1', { uid: 'u1', accountId: 'local:b' }, now() + 60);
      assert.equal((await store.oidcFind('Session', 's1'))?.payload.accountId, 'local:b', 'upsert replaces');
      await store.oidcDestroy('Session', 's1');
      assert.equal(await store.oidcFind('Session', 's1'), undefined);
    });

    it('marks artifacts consumed', async () => {
      await store.oidcUpsert('AuthorizationCode', 'c1', { grantId: 'g0' }, now() + 60);
      assert.equal(await store.oidcConsume('AuthorizationCode', 'c1'), true, 'the first consume takes it');
      const consumed = (await store.oidcFind('AuthorizationCode', 'c1'))?.payload.consumed;
      assert.equal(typeof consumed, 'number');
      assert.equal(await store.oidcConsume('AuthorizationCode', 'c1'), false, 'a second consume finds it taken');
      assert.equal((await store.oidcFind('AuthorizationCode', 'c1'))?.payload.consumed, consumed, 'and leaves the first mark');
      assert.equal(await store.oidcConsume('AuthorizationCode', 'absent'), false);
      await store.oidcUpsert('RefreshToken', 'race', { grantId: 'g0' }, now() + 60);
      const racing = await Promise.all(Array.from({ length: 6 }, () => store.oidcConsume('RefreshToken', 'race')));
      assert.equal(racing.filter(Boolean).length, 1, 'of racing consumes exactly one wins');
    });

    it('claims a record once while it lives, for racing callers too', async () => {
      assert.equal(await store.oidcClaim('Lease', 'l1', { by: 'a' }, now() + 60), true);
      assert.equal(await store.oidcClaim('Lease', 'l1', { by: 'b' }, now() + 60), false, 'a live claim stays');
      assert.equal((await store.oidcFind('Lease', 'l1'))?.payload.by, 'a');
      await store.oidcUpsert('Lease', 'l2', { by: 'old' }, now() - 1);
      assert.equal(await store.oidcClaim('Lease', 'l2', { by: 'c' }, now() + 60), true, 'an expired record is claimed over');
      assert.equal((await store.oidcFind('Lease', 'l2'))?.payload.by, 'c');
      await store.oidcDestroy('Lease', 'l1');
      assert.equal(await store.oidcClaim('Lease', 'l1', { by: 'd' }, now() + 60), true, 'a released claim is free again');
      const racing = await Promise.all(Array.from({ length: 6 }, (_, i) => store.oidcClaim('Lease', 'race', { by: i }, now() + 60)));
      assert.equal(racing.filter(Boolean).length, 1, 'of racing claims exactly one wins');
    });

    it('revokes everything of a grant and tells listeners', async () => {
      const heard: Array<[string, unknown]> = [];
      const off = store.onGrantRevoked((g, whose) => heard.push([g, whose]));
      await store.oidcUpsert('Grant', 'g1', { accountId: 'local:a', clientId: 'c1' }, now() + 60);
      await store.oidcUpsert('RefreshToken', 'r1', { grantId: 'g1' }, now() + 60);
      await store.oidcUpsert('RefreshToken', 'r2', { grantId: 'g2' }, now() + 60);
      await store.oidcRevokeByGrantId('RefreshToken', 'g1');
      await store.oidcDestroy('Grant', 'g1');
      off();
      assert.equal(await store.oidcFind('RefreshToken', 'r1'), undefined);
      assert.ok(await store.oidcFind('RefreshToken', 'r2'), 'other grants untouched');
      assert.equal(await store.oidcFind('Grant', 'g1'), undefined);
      assert.deepEqual(
        heard,
        [
          ['g1', undefined],
          ['g1', { accountId: 'local:a', clientId: 'c1' }],
        ],
        "the grant's own destruction says whose it was",
      );
      await store.oidcDestroy('Grant', 'never-was');
    });

    it('keeps users and settings', async () => {
      await store.putUser({ username: 'bob', passwordHash: 'h', roles: ['dev'], createdAt: 1, updatedAt: 1 });
      await store.putUser({ username: 'bob', passwordHash: 'h2', roles: ['dev', 'ops'], createdAt: 1, updatedAt: 2 });
      const bob = await store.getUser('bob');
      assert.equal(bob?.passwordHash, 'h2');
      assert.deepEqual(bob?.roles, ['dev', 'ops']);
      assert.equal(bob?.updatedAt, 2);
      assert.equal(await store.getUser('nobody'), undefined);
      assert.deepEqual(
        (await store.listUsers()).map((u) => u.username),
        ['bob'],
      );
      await store.putSetting('k', 'v1');
      await store.putSetting('k', 'v2');
      assert.equal(await store.getSetting('k'), 'v2');
      assert.equal(await store.addSetting('first', 'a'), 'a', 'added');
      assert.equal(await store.addSetting('first', 'b'), 'a', 'the first value stays');
      assert.equal(await store.getSetting('first'), 'a');
    });

    it('keeps accounts, credentials per source, static tokens by name and hash, and audit lines newest first', async () => {
      await store.putAccount({ subject: 'header:ann', displayName: 'Ann', groups: ['g'], roles: ['r'], updatedAt: 1 });
      assert.equal((await store.getAccount('header:ann'))?.displayName, 'Ann');
      assert.equal(await store.getAccount('header:nobody'), undefined);
      await store.putCredential('header:ann', 'nextcloud', 'v1.a');
      await store.putCredential('header:ann', 'nextcloud', 'v1.b');
      await store.putCredential('header:ann', 'oidc:corp', 'v1.c');
      assert.equal(await store.getCredential('header:ann', 'nextcloud'), 'v1.b', 'replaced');
      assert.equal(await store.getCredential('header:bob', 'nextcloud'), undefined);
      assert.equal(await store.deleteCredential('header:ann', 'nextcloud'), true);
      assert.equal(await store.deleteCredential('header:ann', 'nextcloud'), false, 'gone already');
      assert.equal(await store.getCredential('header:ann', 'nextcloud'), undefined);
      assert.equal(await store.getCredential('header:ann', 'oidc:corp'), 'v1.c', 'the other source kept');
      await store.putStaticToken({ name: 'ci', hash: 'sha256:ci', roles: ['dev'], createdAt: 1 });
      await store.putStaticToken({ name: 'bot', hash: 'sha256:bot', roles: [], createdAt: 2 });
      assert.deepEqual((await store.findStaticToken('sha256:ci'))?.roles, ['dev']);
      assert.deepEqual(
        (await store.listStaticTokens()).map((t) => t.name),
        ['bot', 'ci'],
      );
      const line = { kind: 'mcp' as const, action: 'a__b', decision: 'allow' as const, outcome: 'ok' as const };
      await store.addAudit({ ...line, time: 10, subject: 'local:ann' });
      await store.addAudit({ ...line, time: 20, subject: 'local:bob' });
      await store.addAudit({ ...line, time: 30, subject: 'local:ann', detail: 'x' });
      const ann = await store.queryAudit({ subject: 'local:ann' });
      assert.deepEqual(
        ann.map((e) => e.time),
        [30, 10],
      );
      assert.equal(ann[0].detail, 'x');
      assert.deepEqual(
        (await store.queryAudit({ sinceMs: 15, limit: 1 })).map((e) => e.time),
        [30],
      );
    });

    it('lists artifacts, accounts and credential sources for the admin console, bounded', async () => {
      await store.oidcUpsert('Client', 'c2', { client_id: 'c2' });
      await store.oidcUpsert('Client', 'c1', { client_id: 'c1' });
      await store.oidcUpsert('Client', 'c0', { client_id: 'c0' }, now() - 1);
      await store.oidcUpsert('Grant', 'g9', { clientId: 'c1' });
      assert.deepEqual(
        (await store.oidcList('Client', 10)).map((r) => r.id),
        ['c1', 'c2'],
        'by id, expired left out, other models left out',
      );
      assert.deepEqual(
        (await store.oidcList('Client', 1)).map((r) => r.id),
        ['c1'],
      );
      await store.putAccount({ subject: 'oidc:zed', groups: [], roles: [], adminRoles: ['admin'], updatedAt: 1 });
      await store.putAccount({ subject: 'header:amy', groups: [], roles: [], updatedAt: 1 });
      assert.deepEqual(
        (await store.listAccounts(10)).map((a) => a.subject),
        ['header:amy', 'header:ann', 'oidc:zed'],
        'by subject (header:ann from the test above)',
      );
      assert.deepEqual((await store.listAccounts(1)).length, 1);
      assert.deepEqual((await store.getAccount('oidc:zed'))?.adminRoles, ['admin']);
      await store.putCredential('oidc:zed', 'oidc:corp', 'v1.s');
      await store.putCredential('oidc:zed', 'nextcloud', 'v1.t');
      await store.putCredential('header:amy', 'nextcloud', 'v1.u');
      assert.deepEqual(await store.credentialSources('oidc:zed'), ['nextcloud', 'oidc:corp']);
      assert.deepEqual(await store.credentialSources('oidc:nobody'), []);
    });

    it('pages lists and finds a client’s grants, by id, expired ones left out', async () => {
      const later = now() + 600;
      for (const id of ['pc-b', 'pc-a', 'pc-c']) await store.oidcUpsert('Grant', id, { accountId: `local:${id}`, clientId: 'paged-client' }, later);
      await store.oidcUpsert('Grant', 'pc-old', { accountId: 'local:old', clientId: 'paged-client' }, now() - 1);
      await store.oidcUpsert('Grant', 'pc-other', { accountId: 'local:x', clientId: 'paged-other' }, later);
      await store.oidcUpsert('AccessToken', 'pc-token', { clientId: 'paged-client', grantId: 'pc-a' }, later);
      assert.deepEqual(
        (await store.oidcGrantsOfClient('paged-client')).map((g) => g.id),
        ['pc-a', 'pc-b', 'pc-c'],
        'all live grants of the client, by id; not its tokens',
      );
      assert.deepEqual(
        (await store.oidcGrantsOfClient('paged-client', 2)).map((g) => g.id),
        ['pc-a', 'pc-b'],
      );
      assert.equal((await store.oidcGrantsOfClient('paged-client'))[0].record.payload.accountId, 'local:pc-a');
      assert.deepEqual(await store.oidcGrantsOfClient('paged-nobody'), []);
      const holders = (await store.oidcGrantClients(1000)).filter((h) => h.clientId.startsWith('paged-'));
      assert.deepEqual(holders, [
        { clientId: 'paged-client', grants: 3 },
        { clientId: 'paged-other', grants: 1 },
      ]);
      const all = (await store.oidcGrantClients(1000)).map((h) => h.clientId);
      const at = all.indexOf('paged-other');
      assert.deepEqual(await store.oidcGrantClients(1, at), [{ clientId: 'paged-other', grants: 1 }], 'offset');
      assert.deepEqual(
        (
          await store.oidcList(
            'Grant',
            2,
            (await store.oidcList('Grant', 1000)).findIndex((g) => g.id === 'pc-b'),
          )
        ).map((g) => g.id),
        ['pc-b', 'pc-c'],
        'oidcList skips `offset`',
      );
      for (const [i, name] of ['pg-c', 'pg-a', 'pg-b'].entries()) {
        await store.putUser({ username: name, passwordHash: 'x', roles: [], createdAt: i, updatedAt: i });
        await store.putAccount({ subject: `paged:${name}`, groups: [], roles: [], updatedAt: i });
      }
      const users = (await store.listUsers()).map((u) => u.username);
      const u = users.indexOf('pg-a');
      assert.deepEqual(
        (await store.listUsers(2, u)).map((x) => x.username),
        ['pg-a', 'pg-b'],
      );
      assert.deepEqual(
        (await store.listUsers(undefined, u + 2)).map((x) => x.username),
        users.slice(u + 2),
        'no limit: the rest',
      );
      const accounts = (await store.listAccounts(1000)).map((a) => a.subject);
      assert.deepEqual(
        (await store.listAccounts(2, accounts.indexOf('paged:pg-b'))).map((a) => a.subject),
        ['paged:pg-b', 'paged:pg-c'],
      );
    });

    it('keeps a user disabled and enabled again', async () => {
      const user = { username: 'dis', passwordHash: 'h', roles: [], createdAt: 1, updatedAt: 1 };
      await store.putUser({ ...user, disabled: true });
      assert.equal((await store.getUser('dis'))?.disabled, true);
      await store.putUser(user);
      assert.equal((await store.getUser('dis'))?.disabled, undefined);
    });

    it('searches audit lines by subject, client, action, outcome and time range, paged', async () => {
      const base = { kind: 'mcp' as const, decision: 'allow' as const };
      for (let i = 1; i <= 6; i++) {
        await store.addAudit({
          ...base,
          time: 1000 + i,
          action: i % 2 ? 'x__odd' : 'x__even',
          outcome: i % 3 ? 'ok' : 'error',
          subject: i <= 3 ? 'local:p' : 'local:q',
          client: i % 2 ? 'cl-a' : 'cl-b',
        });
      }
      const times = async (f: Parameters<typeof store.queryAudit>[0]) => (await store.queryAudit(f)).map((e) => e.time);
      assert.deepEqual(await times({ client: 'cl-a', sinceMs: 1000 }), [1005, 1003, 1001]);
      assert.deepEqual(await times({ action: 'x__even', sinceMs: 1000 }), [1006, 1004, 1002]);
      assert.deepEqual(await times({ outcome: 'error', sinceMs: 1000 }), [1006, 1003]);
      assert.deepEqual(await times({ subject: 'local:q', client: 'cl-b' }), [1006, 1004]);
      assert.deepEqual(await times({ sinceMs: 1002, untilMs: 1005 }), [1004, 1003, 1002]);
      assert.deepEqual(await times({ sinceMs: 1000, limit: 2, offset: 2 }), [1004, 1003]);
      assert.deepEqual(await times({ sinceMs: 1000, limit: 2, offset: 10 }), []);
    });

    it('tells its own watchers of a change at once, by topic; static tokens announce themselves', async () => {
      const heard: string[] = [];
      const stop = store.onChange('signing_keys', () => heard.push('keys'));
      store.onChange('static_tokens', () => heard.push('tokens'));
      await store.announceChange('signing_keys');
      assert.deepEqual(heard, ['keys']);
      await store.putStaticToken({ name: 't', hash: 'sha256:x', roles: [], createdAt: 1 });
      assert.equal(await store.deleteStaticToken('t'), true);
      assert.equal(await store.deleteStaticToken('t'), false, 'nothing deleted, nothing announced');
      stop();
      await store.announceChange('signing_keys');
      assert.deepEqual(heard, ['keys', 'tokens', 'tokens']);
    });

    it('finds flagged records and counts failures in rate-limit counters', async () => {
      await store.oidcUpsert('Client', 'pre', { client_id: 'pre', preregistered: true });
      await store.oidcUpsert('Client', 'dyn', { client_id: 'dyn' });
      assert.deepEqual(
        (await store.oidcFlagged('Client', 'preregistered', 10)).map((c) => c.id),
        ['pre'],
      );
      const limiter = store.rateLimiter({ keyPrefix: `t${Math.random()}`, points: 2, duration: 60 });
      await limiter.consume('k');
      const res = await limiter.consume('k');
      assert.equal(res.remainingPoints, 0);
      await assert.rejects(limiter.consume('k'), (r: { remainingPoints: number }) => r.remainingPoints === 0, 'past the limit');
      await store.ping();
    });

    it('deletes a credential and says whether there was one', async () => {
      await store.putCredential('header:del', 'nextcloud', 'v1.x');
      assert.equal(await store.deleteCredential('header:del', 'nextcloud'), true);
      assert.equal(await store.getCredential('header:del', 'nextcloud'), undefined);
      assert.equal(await store.deleteCredential('header:del', 'nextcloud'), false);
    });

    it('through the oidc adapter, keeps bearer artifacts only under their hash', async () => {
      const Adapter = createAdapterClass(store);
      const refresh = new Adapter('RefreshToken');
      const value = 'refresh-token-value-abcdefghijklmnop';
      await refresh.upsert(value, { jti: value, grantId: 'g9', kind: 'RefreshToken' } as never, 60);
      assert.equal(await store.oidcFind('RefreshToken', value), undefined, 'not under its value');
      const raw = await store.oidcFind('RefreshToken', hashId(value));
      assert.ok(raw, 'under its hash');
      assert.ok(!JSON.stringify(raw.payload).includes(value), 'the value is not in the payload');
      assert.equal((await refresh.find(value))?.jti, value, 'found again by its value');
      await refresh.consume(value);
      assert.ok((await refresh.find(value))?.consumed);
      await refresh.revokeByGrantId('g9');
      assert.equal(await refresh.find(value), undefined);
    });
  });
}

describe('sqlite store on disk', () => {
  it("hears another process's change within CHANGE_POLL_MS, once, and not its own again", async () => {
    const file = path.join(dir, 'changes.db');
    const server = new SqliteStore(file);
    const cli = new SqliteStore(file);
    try {
      const heard: string[] = [];
      server.onChange('static_tokens', () => heard.push('tokens'));
      server.onChange('signing_keys', () => heard.push('keys'));
      await server.announceChange('signing_keys');
      server.commit();
      await cli.deleteStaticToken('none'); // no change, nothing announced
      await cli.putStaticToken({ name: 't', hash: 'sha256:x', roles: [], createdAt: 1 });
      cli.commit();
      const start = Date.now();
      while (heard.length < 2 && Date.now() - start < CHANGE_POLL_MS + 1500) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(heard, ['keys', 'tokens']);
      await new Promise((r) => setTimeout(r, CHANGE_POLL_MS + 100));
      assert.deepEqual(heard, ['keys', 'tokens'], 'each change heard once');
    } finally {
      await cli.close();
      await server.close();
    }
  });

  it('finds a record by uid after another process rewrote, moved or deleted it', async () => {
    const file = path.join(dir, 'uids.db');
    const server = new SqliteStore(file);
    const other = new SqliteStore(file);
    try {
      await server.oidcUpsert('Session', 's1', { uid: 'u1', accountId: 'local:a' }, now() + 60);
      server.commit();
      assert.equal((await server.oidcFindByUid('Session', 'u1'))?.id, 's1');
      // The other process gives the session a new id (as oidc-provider does at every resume).
      await other.oidcDestroy('Session', 's1');
      await other.oidcUpsert('Session', 's2', { uid: 'u1', accountId: 'local:a' }, now() + 60);
      other.commit();
      assert.equal((await server.oidcFindByUid('Session', 'u1'))?.id, 's2', 'the record under its new id');
      // It reuses the id for another uid: the old uid no longer finds it.
      await server.oidcUpsert('Session', 's3', { uid: 'u3' }, now() + 60);
      server.commit();
      await other.oidcUpsert('Session', 's3', { uid: 'u4' }, now() + 60);
      other.commit();
      assert.equal(await server.oidcFindByUid('Session', 'u3'), undefined, 'not the record that now carries another uid');
      assert.equal((await server.oidcFindByUid('Session', 'u4'))?.id, 's3');
      await other.oidcDestroy('Session', 's2');
      other.commit();
      assert.equal(await server.oidcFindByUid('Session', 'u1'), undefined, 'deleted');
      await server.oidcUpsert('Session', 's5', { uid: 'u5' }, now() - 1);
      assert.equal(await server.oidcFindByUid('Session', 'u5'), undefined, 'expired');
    } finally {
      await other.close();
      await server.close();
    }
  });

  it('keeps data across reopen', async () => {
    const file = path.join(dir, 'reopen.db');
    const a = new SqliteStore(file);
    await a.oidcUpsert('Client', 'c', { client_id: 'c' });
    await a.close();
    const b = new SqliteStore(file);
    assert.deepEqual((await b.oidcFind('Client', 'c'))?.payload, { client_id: 'c' });
    await b.close();
  });

  it("holds a turn's writes in one transaction: committed on commit(), or by the next turn", async () => {
    const file = path.join(dir, 'turn.db');
    const store = new SqliteStore(file);
    const other = new Database(file, { readonly: true });
    const seen = (id: string) => (other.prepare("SELECT count(*) AS n FROM oidc WHERE model = 'Client' AND id = ?").get(id) as { n: number }).n === 1;
    await store.oidcUpsert('Client', 'a', { client_id: 'a' });
    await store.oidcUpsert('Client', 'b', { client_id: 'b' });
    assert.equal((await store.oidcFind('Client', 'a'))?.payload.client_id, 'a', 'the store reads its own writes');
    assert.equal(seen('a'), false, 'another connection does not see them yet');
    store.commit();
    assert.ok(seen('a') && seen('b'), 'both committed on demand');
    await store.oidcDestroy('Client', 'a');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(seen('a'), false, 'committed by the next turn without a commit() call');
    other.close();
    await store.close();
  });

  it('writes audit lines in batches, yet a query or a close never misses one', async () => {
    const file = path.join(dir, 'audit.db');
    const a = new SqliteStore(file);
    const line = { kind: 'mcp' as const, action: 'x__y', decision: 'allow' as const, outcome: 'ok' as const };
    await a.addAudit({ ...line, time: 1 });
    assert.equal((await a.queryAudit({})).length, 1, 'a query sees a line still queued');
    for (let i = 2; i <= 100; i++) await a.addAudit({ ...line, time: i });
    await a.close();
    const b = new SqliteStore(file);
    assert.equal((await b.queryAudit({})).length, 100, 'closing wrote the queued lines');
    await b.close();
  });

  it("finds a user's grants through an index, not by reading every grant", async () => {
    const file = path.join(dir, 'grants-of.db');
    const store = new SqliteStore(file);
    await store.oidcUpsert('Grant', 'g1', { accountId: 'local:ann', clientId: 'c1' }, now() + 60);
    await store.oidcUpsert('Grant', 'g2', { accountId: 'local:bob', clientId: 'c1' }, now() + 60);
    assert.deepEqual(
      (await store.oidcGrantsOf('local:ann')).map((g) => g.id),
      ['g1'],
    );
    await store.close();
    const db = new Database(file, { readonly: true });
    const plan = db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT id FROM oidc WHERE model = 'Grant' AND json_extract(payload, '$.accountId') = ? AND (expires_at IS NULL OR expires_at > ?)`,
      )
      .all('local:ann', 0) as Array<{ detail: string }>;
    db.close();
    assert.match(plan.map((p) => p.detail).join('\n'), /USING INDEX oidc_grant_account/);
  });
});

describe('postgres store, several processes on one schema', () => {
  it('migrates once when three open together, agrees on a first setting, and each hears the others within a second', async () => {
    const schema = await pgSchema();
    schemas.push(schema);
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => PostgresStore.open({ url: schema.url, pool: 2 })));
    try {
      const versions = await schema.query<{ version: number }>('SELECT version FROM postern_migrations ORDER BY version');
      assert.deepEqual(
        versions.map((v) => v.version),
        Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, i) => i + 1),
        'each migration applied once',
      );
      const firsts = await Promise.all([a, b, c].map((s, i) => s.addSetting('signing_keys_test', `from ${i}`)));
      assert.equal(new Set(firsts).size, 1, `all agree: ${firsts}`);

      const heard: string[] = [];
      b.onChange('static_tokens', () => heard.push('b tokens'));
      c.onChange('signing_keys', () => heard.push('c keys'));
      b.onGrantRevoked((g) => heard.push(`b grant ${g}`));
      a.onChange('static_tokens', () => heard.push('a tokens'));
      const start = Date.now();
      await a.putStaticToken({ name: 't', hash: 'sha256:t', roles: [], createdAt: 1 });
      await a.announceChange('signing_keys');
      await a.oidcRevokeByGrantId('RefreshToken', 'g7');
      while (heard.length < 4 && Date.now() - start < 1000) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(heard.sort(), ['a tokens', 'b grant g7', 'b tokens', 'c keys'], 'heard once each, the sender at once');
      assert.ok(Date.now() - start < 1000);
    } finally {
      await Promise.all([a, b, c].map((s) => s.close()));
    }
  });

  it('listens again after losing its connection, and then announces every topic (grants included)', async () => {
    const schema = await pgSchema();
    schemas.push(schema);
    const a = await PostgresStore.open({ url: schema.url, pool: 2 });
    const b = await PostgresStore.open({ url: schema.url, pool: 2 });
    try {
      const heard: string[] = [];
      b.onChange('grants', () => heard.push('grants'));
      b.onChange('static_tokens', () => heard.push('tokens'));
      await schema.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid() AND query LIKE $1", [
        `%postern:${schema.name}%`,
      ]);
      const start = Date.now();
      while (!heard.includes('grants') && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 20));
      assert.ok(heard.includes('grants'), 'told to drop what it may have missed');
      heard.length = 0;
      await b.ping();
      await a.deleteStaticToken('none');
      await a.putStaticToken({ name: 'u', hash: 'sha256:u', roles: [], createdAt: 1 });
      const again = Date.now();
      while (!heard.includes('tokens') && Date.now() - again < 1000) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(heard, ['tokens'], 'hears the others again');
    } finally {
      await a.close();
      await b.close();
    }
  });
});
