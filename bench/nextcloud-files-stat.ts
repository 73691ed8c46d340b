// nextcloud__files_stat through Postern (the built-in Nextcloud toolset, the caller's sealed link
// opened per call) against the same PROPFIND sent straight to Nextcloud, in the same run, one
// connection calling in a loop; the two sides take turns so that the server's drift hits both.
// Needs the real Nextcloud test fixture (../shared/nextcloud/start.sh); skipped when it is not running.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configSchema } from '../src/config/schema.js';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { UpstreamCredentials } from '../src/identity/credentials.js';
import { NextcloudLinks } from '../src/identity/nextcloud/links.js';
import { Sealer } from '../src/identity/sealed.js';
import { FILE_PROPS_XML } from '../src/nextcloud/webdav-client.js';
import { openStore } from '../src/store/index.js';
import { mintAppPassword, NC_URL, revokeAppPassword } from '../test/helpers/nextcloud-fixture.js';
import { ACCEPT, openSession } from './gateway-vs-direct.js';
import { startPosternProcess } from './postern-process.js';
import { fmt, percentile, type Row } from './table.js';

const TOKEN = 'pst_bench-nextcloud-0123456789abcdefghijklmnop';
const SECRET = 'bench-nextcloud-secret-0123456789abcdefgh';
const ROUNDS = 6;
const PER_ROUND = Number(process.env.BENCH_NC_CALLS ?? 100);
const MEASUREMENT = 'nextcloud__files_stat through Postern vs the same PROPFIND direct (p50, one connection)';

async function timed(n: number, once: () => Promise<void>, into: number[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await once();
    into.push(performance.now() - t);
  }
}

async function fixtureRunning(): Promise<boolean> {
  try {
    const res = await fetch(`${NC_URL}/status.php`, { signal: AbortSignal.timeout(3000) });
    return res.ok && ((await res.json()) as { installed?: boolean }).installed === true;
  } catch {
    return false;
  }
}

export async function nextcloudFilesStat(): Promise<Row[]> {
  if (!(await fixtureRunning())) {
    process.stderr.write(`  skipped: no Nextcloud answers at ${NC_URL} (start ../shared/nextcloud/start.sh to run this row)\n`);
    return [{ measurement: MEASUREMENT, result: 'skipped: Nextcloud fixture not running', baseline: '-', ratio: '-', target: '≤ 1.20×', verdict: '-' }];
  }
  const appPassword = await mintAppPassword('alice');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'postern-bench-nc-'));
  // The caller's link, sealed in the store Postern then opens, as a sign-in would have left it.
  const store = await openStore(configSchema.parse({ dataDir }));
  await new NextcloudLinks(new UpstreamCredentials(store, new Sealer(SECRET))).put('static:bench', { loginName: 'alice', appPassword });
  await store.close();
  const postern = await startPosternProcess({
    dataDir,
    auth: { secret: SECRET },
    identity: { staticTokens: { bench: { hash: hashStaticToken(TOKEN) } } },
    mcpServers: { nextcloud: { builtin: 'nextcloud', url: NC_URL, apps: ['files'] } },
  });
  try {
    const session = await openSession(postern.mcpUrl, { authorization: `Bearer ${TOKEN}` });
    let id = 0;
    const viaPostern = async () => {
      const res = await fetch(postern.mcpUrl, {
        method: 'POST',
        headers: { ...session, 'content-type': 'application/json', accept: ACCEPT },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method: 'tools/call', params: { name: 'nextcloud__files_stat', arguments: { path: '/' } } }),
      });
      const text = await res.text();
      if (!res.ok || text.includes('"isError":true')) throw new Error(`files_stat through Postern failed: ${res.status} ${text.slice(0, 300)}`);
    };
    const authorization = `Basic ${Buffer.from(`alice:${appPassword}`).toString('base64')}`;
    const direct = async () => {
      const res = await fetch(`${NC_URL}/remote.php/dav/files/alice/`, {
        method: 'PROPFIND',
        headers: { authorization, depth: '0', 'content-type': 'application/xml' },
        body: FILE_PROPS_XML,
      });
      await res.text();
      if (res.status !== 207) throw new Error(`PROPFIND answered ${res.status}`);
    };
    await timed(20, viaPostern, []);
    await timed(20, direct, []);
    const g: number[] = [];
    const d: number[] = [];
    let cpuMs = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await timed(PER_ROUND, direct, d);
      const cpu = postern.cpuMs();
      await timed(PER_ROUND, viaPostern, g);
      cpuMs += postern.cpuMs() - cpu;
    }
    g.sort((a, b) => a - b);
    d.sort((a, b) => a - b);
    const ratio = percentile(g, 50) / percentile(d, 50);
    return [
      {
        measurement: MEASUREMENT,
        result: `${fmt(percentile(g, 50), 2)} ms (p99 ${fmt(percentile(g, 99), 1)}; Postern's CPU ${fmt(cpuMs / g.length, 2)} ms per call)`,
        baseline: `${fmt(percentile(d, 50), 2)} ms direct (p99 ${fmt(percentile(d, 99), 1)})`,
        ratio: `${fmt(ratio, 2)}×`,
        target: '≤ 1.20×',
        verdict: ratio <= 1.2 ? 'meets' : 'falls short',
      },
    ];
  } finally {
    await postern.stop();
    rmSync(dataDir, { recursive: true, force: true });
    await revokeAppPassword('alice', appPassword);
  }
}
