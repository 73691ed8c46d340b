// Failover: three `postern serve` processes on one PostgreSQL store, a load run of 2026-07-28
// tool calls spread over them by the client, and `kill -9` of one replica in the middle. Calls
// that hit the dead replica fail only at the connection and succeed when retried on another;
// the remaining replicas answer no 5xx; every grant survives (each client's token and refresh
// token keep working, also through a Caddy balancer in front of the survivors and the dead one).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureCaddy } from './helpers/caddy.js';
import { fullFlow, refresh } from './helpers/flow.js';
import { modernRequest } from './helpers/mcp-http.js';
import { startReplicaCluster, type ReplicaCluster, type Replica } from './helpers/replicas.js';

const LOAD_MS = 4000;
const KILL_AT_MS = 1500;

describe('failover: kill -9 of one replica under load', { skip: !ensureCaddy() && 'caddy is not installed' }, () => {
  let cluster: ReplicaCluster;
  let issuer: string;
  let replicas: Replica[];

  before(async () => {
    cluster = await startReplicaCluster(3);
    ({ issuer, replicas } = cluster);
  });
  after(async () => {
    await cluster?.stop();
  });

  it('loses no grant; only connections to the dead replica fail, and their retries succeed', async () => {
    const grants = await Promise.all([0, 1, 2].map(() => fullFlow(issuer, `${issuer}/mcp`, cluster.password)));
    for (const g of grants) assert.equal(g.tokens.status, 200);
    const statuses = new Map<number, number>();
    let connectionFailures = 0;
    const failures: string[] = [];
    let calls = 0;
    let next = 0;
    const start = Date.now();
    /** One call, sent to the next replica in turn; a refused or dropped connection is retried on the one after. */
    const call = async (token: string) => {
      const first = next++;
      for (let attempt = 0; attempt < replicas.length; attempt++) {
        const { port } = replicas[(first + attempt) % replicas.length];
        try {
          const res = await modernRequest(`http://127.0.0.1:${port}/mcp`, token, 'tools/call', { name: 'everything__echo', arguments: { message: 'load' } });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status !== 200) failures.push(`${port}: ${res.status} ${JSON.stringify(res.messages ?? res).slice(0, 300)}`);
          return res.status;
        } catch {
          connectionFailures++;
        }
      }
      return 0;
    };
    const killed = (async () => {
      await new Promise((r) => setTimeout(r, KILL_AT_MS));
      replicas[1].child.kill('SIGKILL');
    })();
    await Promise.all(
      grants.map(async (g) => {
        while (Date.now() - start < LOAD_MS) {
          const status = await call(g.tokens.body.access_token);
          assert.equal(status, 200, `every call succeeds, retried if need be: ${failures.join('; ')}`);
          calls++;
        }
      }),
    );
    await killed;
    assert.ok(calls > 20, `${calls} calls`);
    assert.deepEqual([...statuses.keys()], [200], `answers by status: ${JSON.stringify([...statuses])}`);
    assert.ok(connectionFailures > 0, 'some calls met the dead replica');
    assert.equal(replicas[1].child.signalCode, 'SIGKILL');

    for (const g of grants) {
      for (const r of [replicas[0], replicas[2]]) {
        const res = await modernRequest(`http://127.0.0.1:${r.port}/mcp`, g.tokens.body.access_token, 'tools/list', {});
        assert.equal(res.status, 200, 'the token works on the survivors');
      }
      // The balancer answers 502 for a request it sent down a kept-alive connection to the dead
      // replica (it retries only connections it could not open): a failure at the connection,
      // which the client retries.
      let refreshed = await refresh(issuer, g.clientId, g.tokens.body.refresh_token);
      if (refreshed.status === 502) refreshed = await refresh(issuer, g.clientId, g.tokens.body.refresh_token);
      assert.equal(refreshed.status, 200, 'the grant survived: its refresh token works through the balancer');
    }
  });
});
