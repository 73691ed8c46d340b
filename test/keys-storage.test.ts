// Signing-key rotation (old tokens stay valid, new tokens use the new key, both published), on a
// running server and across a restart, and storage at rest (refresh tokens and codes only as
// hashes), on the real SQLite file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { ensureSigningKey, loadSigningKeys, rotateSigningKey } from '../src/oauth/keys.js';
import { MemoryStore } from '../src/store/memory.js';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { connectWithOAuth, MemoryOAuthProvider } from './helpers/oauth-client.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';
import { mcpInitialize } from './helpers/flow.js';
import { until } from './helpers/until.js';
import { CHANGE_POLL_MS } from '../src/store/changes.js';

const cli = path.resolve(import.meta.dirname, '../scripts/postern-from-source.js');

async function publishedKids(issuer: string): Promise<string[]> {
  const jwks = await (await fetch(`${issuer}/jwks`)).json();
  assert.ok(
    jwks.keys.every((k: Record<string, unknown>) => k.d === undefined),
    'no private parts published',
  );
  return jwks.keys.map((k: { kid: string }) => k.kid);
}

async function opensMcp(mcpUrl: string, token: string): Promise<number> {
  const res = await mcpInitialize(mcpUrl, token);
  await res.body?.cancel();
  return res.status;
}

/** An OAuth client signed in as admin: its access token and the kid that signed it. */
async function signedInClient(postern: TestPostern) {
  const user = { username: 'admin', password: postern.password };
  const provider = new MemoryOAuthProvider();
  await (await connectWithOAuth(postern.mcpUrl, provider, user)).client.close();
  const token = provider.savedTokens!.access_token;
  return {
    token,
    kid: decodeProtectedHeader(token).kid!,
    /** A new access token from the refresh token, without signing in again. */
    async refresh(mcpUrl: string): Promise<string> {
      provider.savedTokens = { ...provider.savedTokens!, access_token: 'stale' };
      const again = await connectWithOAuth(mcpUrl, provider, user);
      await again.client.close();
      assert.equal(again.signedIn, false);
      return provider.savedTokens!.access_token;
    },
  };
}

function dbBytes(dataDir: string): string {
  return readdirSync(dataDir)
    .filter((f) => f.startsWith('postern.db'))
    .map((f) => readFileSync(path.join(dataDir, f)).toString('latin1'))
    .join('');
}

describe('signing keys and storage at rest', () => {
  it('the first key, made before the server loads (ensureSigningKey), is the one it signs with; racing makers store one', async () => {
    const store = new MemoryStore();
    await Promise.all([ensureSigningKey(store), ensureSigningKey(store)]);
    const keys = await loadSigningKeys(store, 3600);
    assert.equal(keys.all.length, 1);
    await ensureSigningKey(store);
    const again = await loadSigningKeys(store, 3600);
    assert.deepEqual(
      again.all.map((k) => k.jwk.kid),
      [keys.active.jwk.kid],
    );
    await store.close();
  });

  it('`postern keys rotate` on a running server: the next token is signed with the new key, old tokens keep working', async () => {
    const postern = await startTestPostern();
    try {
      const client = await signedInClient(postern);
      const { token: oldToken, kid: oldKid } = client;

      // The command line, a process of its own on the same data directory.
      const rotate = spawnSync(process.execPath, [cli, 'keys', 'rotate'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, POSTERN_DATA_DIR: postern.dataDir },
      });
      assert.equal(rotate.status, 0, rotate.stderr);
      const newKid = /new signing key (\S+);/.exec(rotate.stdout)?.[1];
      assert.ok(newKid && newKid !== oldKid, rotate.stdout);
      assert.match(rotate.stdout, /within a second/);

      // Within a second (some slack for a busy test machine) both keys are published, without a restart.
      await until(async () => (await publishedKids(postern.issuer)).includes(newKid), CHANGE_POLL_MS + 1500, 'the new key at /jwks');
      assert.deepEqual((await publishedKids(postern.issuer)).sort(), [oldKid, newKid].sort());

      // The old token still opens /mcp.
      assert.equal(await opensMcp(postern.mcpUrl, oldToken), 200);

      // The next token (a refresh) is signed with the new key, and /mcp takes it.
      const newToken = await client.refresh(postern.mcpUrl);
      assert.equal(decodeProtectedHeader(newToken).kid, newKid);
      assert.equal(await opensMcp(postern.mcpUrl, newToken), 200);
      assert.equal(await opensMcp(postern.mcpUrl, oldToken), 200, 'the old token still works after the new one');
    } finally {
      await postern.destroy();
    }
  });

  it('a key rotated while Postern was stopped signs from the next start; old tokens stay valid', async () => {
    let postern = await startTestPostern();
    try {
      const client = await signedInClient(postern);
      const oldKid = client.kid;

      await postern.close();
      const store = new SqliteStore(path.join(postern.dataDir, 'postern.db'));
      const rotated = await rotateSigningKey(store);
      await store.close();
      assert.notEqual(rotated.active.jwk.kid, oldKid);
      postern = await postern.restart(); // closing twice is harmless

      assert.deepEqual((await publishedKids(postern.issuer)).sort(), [oldKid, rotated.active.jwk.kid].sort());

      // The old token still opens /mcp.
      assert.equal(await opensMcp(postern.mcpUrl, client.token), 200);

      // A refresh now yields a token signed with the new key.
      assert.equal(decodeProtectedHeader(await client.refresh(postern.mcpUrl)).kid, rotated.active.jwk.kid);
    } finally {
      await postern.destroy();
    }
  });

  it('stores refresh tokens and authorization codes only as hashes', async () => {
    const postern = await startTestPostern();
    try {
      const provider = new MemoryOAuthProvider();
      const { client, callback } = await connectWithOAuth(postern.mcpUrl, provider, { username: 'admin', password: postern.password });
      await client.close();
      const code = callback!.searchParams.get('code')!;
      assert.ok(code.length > 20);
      const refresh = provider.savedTokens!.refresh_token!;
      assert.ok(refresh.length > 20);
      assert.equal(await postern.store.oidcCount('RefreshToken'), 1);
      const bytes = dbBytes(postern.dataDir);
      assert.ok(!bytes.includes(refresh), 'the refresh token is not in the database in clear');
      assert.ok(!bytes.includes(code), 'the authorization code is not in the database in clear');
      // The secret for cookies/CSRF lives outside the database, readable by the owner only.
      const mode = (await import('node:fs')).statSync(path.join(postern.dataDir, 'secret')).mode & 0o777;
      assert.equal(mode, 0o600);
    } finally {
      await postern.destroy();
    }
  });
});
