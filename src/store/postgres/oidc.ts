// PostgreSQL area: oidc-provider's artifacts in one table, keyed by model and id, with the grant,
// uid and user code they are looked up by; the payload as JSONB. A revoked or destroyed grant is
// told to every replica (changes.ts).
import { grantIdOf, revokedGrant, type GrantListener } from '../grant-events.js';
import { nowSeconds, type OidcArtifacts, type OidcRecord } from '../types.js';
import type { PostgresChanges } from './changes.js';
import type { PostgresDatabase } from './database.js';

interface OidcRow {
  id: string;
  payload: Record<string, unknown>;
  expires_at: string | null;
}

const toRecord = (row: OidcRow): OidcRecord => ({ payload: row.payload, expiresAt: row.expires_at === null ? undefined : Number(row.expires_at) });
const withId = (row: OidcRow) => ({ id: row.id, record: toRecord(row) });

const LIVE = '(expires_at IS NULL OR expires_at > $3)';
const COLUMNS = 'id, payload, expires_at';

export class PostgresOidc implements OidcArtifacts {
  constructor(
    private readonly db: PostgresDatabase,
    private readonly changes: PostgresChanges,
  ) {}

  async oidcUpsert(model: string, id: string, payload: Record<string, unknown>, expiresAt?: number): Promise<void> {
    const uid = typeof payload.uid === 'string' ? payload.uid : null;
    const userCode = typeof payload.userCode === 'string' ? payload.userCode : null;
    await this.db.query(
      `INSERT INTO oidc (model, id, payload, grant_id, uid, user_code, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
         uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at`,
      [model, id, JSON.stringify(payload), grantIdOf(model, id, payload), uid, userCode, expiresAt ?? null],
    );
  }

  private async one(column: 'id' | 'uid' | 'user_code', model: string, value: string): Promise<OidcRow | undefined> {
    const { rows } = await this.db.query<OidcRow>(`SELECT ${COLUMNS} FROM oidc WHERE model = $1 AND ${column} = $2 AND ${LIVE} LIMIT 1`, [
      model,
      value,
      nowSeconds(),
    ]);
    return rows[0];
  }

  async oidcFind(model: string, id: string): Promise<OidcRecord | undefined> {
    const row = await this.one('id', model, id);
    return row && toRecord(row);
  }

  async oidcFindByUid(model: string, uid: string) {
    const row = await this.one('uid', model, uid);
    return row && withId(row);
  }

  async oidcFindByUserCode(model: string, userCode: string) {
    const row = await this.one('user_code', model, userCode);
    return row && withId(row);
  }

  async oidcConsume(model: string, id: string): Promise<boolean> {
    const done = await this.db.query(
      `UPDATE oidc SET payload = jsonb_set(payload, '{consumed}', to_jsonb($1::bigint)) WHERE model = $2 AND id = $3 AND payload->'consumed' IS NULL`,
      [nowSeconds(), model, id],
    );
    return (done.rowCount ?? 0) > 0;
  }

  async oidcClaim(model: string, id: string, payload: Record<string, unknown>, expiresAt: number): Promise<boolean> {
    const done = await this.db.query(
      `INSERT INTO oidc (model, id, payload, expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = NULL, uid = NULL, user_code = NULL, expires_at = excluded.expires_at
       WHERE oidc.expires_at IS NOT NULL AND oidc.expires_at <= $5`,
      [model, id, JSON.stringify(payload), expiresAt, nowSeconds()],
    );
    return (done.rowCount ?? 0) > 0;
  }

  async oidcDestroy(model: string, id: string): Promise<void> {
    if (model !== 'Grant') {
      await this.db.query('DELETE FROM oidc WHERE model = $1 AND id = $2', [model, id]);
      return;
    }
    // Whose it was goes to this process's listeners (the replica that withdrew it acts on it once).
    const { rows } = await this.db.query<{ payload: Record<string, unknown> }>('DELETE FROM oidc WHERE model = $1 AND id = $2 RETURNING payload', [model, id]);
    await this.changes.grantRevoked(id, revokedGrant(rows[0]?.payload));
  }

  async oidcRevokeByGrantId(model: string, grantId: string): Promise<void> {
    await this.db.query('DELETE FROM oidc WHERE model = $1 AND grant_id = $2', [model, grantId]);
    await this.changes.grantRevoked(grantId);
  }

  async oidcGrantsOf(accountId: string) {
    const { rows } = await this.db.query<OidcRow>(
      `SELECT ${COLUMNS} FROM oidc WHERE model = 'Grant' AND payload->>'accountId' = $1 AND (expires_at IS NULL OR expires_at > $2)`,
      [accountId, nowSeconds()],
    );
    return rows.map(withId);
  }

  async oidcGrantsOfClient(clientId: string, limit?: number) {
    // LIMIT NULL is no limit.
    const { rows } = await this.db.query<OidcRow>(
      `SELECT ${COLUMNS} FROM oidc WHERE model = 'Grant' AND payload->>'clientId' = $1 AND (expires_at IS NULL OR expires_at > $2) ORDER BY id LIMIT $3`,
      [clientId, nowSeconds(), limit ?? null],
    );
    return rows.map(withId);
  }

  async oidcGrantClients(limit: number, offset = 0) {
    const { rows } = await this.db.query<{ client_id: string; n: string }>(
      `SELECT payload->>'clientId' AS client_id, count(*) AS n FROM oidc
       WHERE model = 'Grant' AND payload->>'clientId' IS NOT NULL AND (expires_at IS NULL OR expires_at > $1)
       GROUP BY payload->>'clientId' ORDER BY payload->>'clientId' LIMIT $2 OFFSET $3`,
      [nowSeconds(), limit, offset],
    );
    return rows.map((r) => ({ clientId: r.client_id, grants: Number(r.n) }));
  }

  async oidcFlagged(model: string, flag: string, limit: number) {
    const { rows } = await this.db.query<OidcRow>(
      `SELECT ${COLUMNS} FROM oidc WHERE model = $1 AND payload->$2 = 'true'::jsonb AND ${LIVE} ORDER BY id LIMIT $4`,
      [model, flag, nowSeconds(), limit],
    );
    return rows.map(withId);
  }

  async oidcList(model: string, limit: number, offset = 0) {
    const { rows } = await this.db.query<OidcRow>(
      `SELECT ${COLUMNS} FROM oidc WHERE model = $1 AND (expires_at IS NULL OR expires_at > $2) ORDER BY id LIMIT $3 OFFSET $4`,
      [model, nowSeconds(), limit, offset],
    );
    return rows.map(withId);
  }

  async oidcCount(model: string): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>('SELECT count(*) AS n FROM oidc WHERE model = $1 AND (expires_at IS NULL OR expires_at > $2)', [
      model,
      nowSeconds(),
    ]);
    return Number(rows[0].n);
  }

  async sweepExpired(): Promise<number> {
    return (await this.db.query('DELETE FROM oidc WHERE expires_at IS NOT NULL AND expires_at <= $1', [nowSeconds()])).rowCount ?? 0;
  }

  onGrantRevoked(listener: GrantListener): () => void {
    return this.changes.grants.on(listener);
  }
}
