// Grant and refresh-token lookups in SQLite at 1,000 and at 1,000,000 stored grants: the cost per
// lookup must stay flat (primary-key lookups), measured on random ids of the same store as it grows.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { fmt, type Row } from './table.js';

const LOOKUPS = 20_000;

function fill(file: string, from: number, to: number): void {
  const db = new Database(file);
  const insert = db.prepare('INSERT INTO oidc (model, id, payload, grant_id, expires_at) VALUES (?, ?, ?, ?, ?)');
  const exp = Math.floor(Date.now() / 1000) + 86_400;
  db.transaction(() => {
    for (let i = from; i < to; i++) {
      const grant = `grant-${i}`;
      insert.run(
        'Grant',
        grant,
        JSON.stringify({ accountId: `user-${i % 5000}`, clientId: `client-${i % 977}`, resources: { 'https://mcp.example/mcp': 'mcp:tools' }, exp }),
        grant,
        exp,
      );
      insert.run('RefreshToken', `rt-${i}`, JSON.stringify({ grantId: grant, accountId: `user-${i % 5000}`, exp }), grant, exp);
    }
  })();
  db.close();
}

async function timeLookups(store: SqliteStore, size: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < LOOKUPS; i++) {
    const n = Math.floor(Math.random() * size);
    if (!(await store.oidcFind('Grant', `grant-${n}`)) || !(await store.oidcFind('RefreshToken', `rt-${n}`))) throw new Error('missing row');
  }
  return ((performance.now() - started) * 1000) / (LOOKUPS * 2);
}

export async function grantsScale(): Promise<Row[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'postern-bench-grants-'));
  const file = path.join(dir, 'postern.db');
  try {
    await new SqliteStore(file).close();
    fill(file, 0, 1_000);
    let store = new SqliteStore(file);
    await timeLookups(store, 1_000);
    const small = await timeLookups(store, 1_000);
    await store.close();
    fill(file, 1_000, 1_000_000);
    store = new SqliteStore(file);
    await timeLookups(store, 1_000_000);
    const large = await timeLookups(store, 1_000_000);
    await store.close();
    const ratio = large / small;
    return [
      {
        measurement: 'grant + refresh-token lookup at 1M vs 1k stored grants',
        result: `${fmt(large, 1)} µs/lookup at 1M`,
        baseline: `${fmt(small, 1)} µs/lookup at 1k`,
        ratio: `${fmt(ratio, 2)}×`,
        target: 'flat (≤ 1.5×)',
        verdict: ratio <= 1.5 ? 'meets' : 'falls short',
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
