// A response leaves only after the store's writes for it are committed, so a client never holds
// a code or token a crash could take back; if the store cannot commit, the connection is dropped.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { commitBeforeResponse } from '../src/edge/commit-before-response.js';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { send } from './helpers/http.js';
import { register } from './helpers/flow.js';
import { startTestPostern, tempDir } from './helpers/postern.js';

async function serve(listener: RequestListener) {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('commit before response', () => {
  it('the writes made for a response are committed when it is handed to the socket', async () => {
    const file = path.join(tempDir('postern-commit-'), 'postern.db');
    const store = new SqliteStore(file);
    const other = new Database(file, { readonly: true });
    let committedWhenSent: boolean | undefined;
    const server = await serve(
      commitBeforeResponse(
        store,
        async (_req, res) => {
          await store.oidcUpsert('AuthorizationCode', 'code-1', { grantId: 'g1' }, Math.floor(Date.now() / 1000) + 60);
          res.end('code=code-1');
          committedWhenSent = (other.prepare("SELECT count(*) AS n FROM oidc WHERE id = 'code-1'").get() as { n: number }).n === 1;
        },
        (err) => assert.fail(String(err)),
      ),
    );
    try {
      const answer = await send(server.url);
      assert.equal(answer.status, 200);
      assert.equal(committedWhenSent, true);
    } finally {
      await server.close();
      other.close();
      await store.close();
    }
  });

  it('when the store cannot commit, the connection is dropped and the error reported', async () => {
    const heard: unknown[] = [];
    const failing = {
      commit: () => {
        throw new Error('disk full');
      },
    };
    const server = await serve(
      commitBeforeResponse(
        failing,
        (_req, res) => {
          res.writeHead(200).end('code=abc');
        },
        (err) => heard.push(err),
      ),
    );
    try {
      await assert.rejects(send(server.url), /socket hang up|ECONNRESET/);
      assert.match(String(heard[0]), /disk full/);
    } finally {
      await server.close();
    }
  });

  it('Postern drops a registration it could not commit', async () => {
    const p = await startTestPostern({ mcpServers: {} });
    try {
      const commit = p.store.commit;
      p.store.commit = () => {
        throw new Error('disk full');
      };
      await assert.rejects(register(p.issuer), /socket hang up|ECONNRESET/);
      p.store.commit = commit;
      assert.equal((await register(p.issuer)).status, 201, 'answered again once the store commits');
    } finally {
      await p.destroy();
    }
  });
});
