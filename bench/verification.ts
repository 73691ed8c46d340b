// Token verification per second, in process through the guard Postern puts in front of /mcp:
// cached (the same token again, as a client sends it on every call) against uncached (a token
// seen for the first time: RS256 signature check and the grant's liveness in SQLite).
import { SignJWT, importJWK } from 'jose';
import { loadSigningKeys } from '../src/oauth/keys.js';
import { fullFlow } from '../test/helpers/flow.js';
import { startTestPostern } from '../test/helpers/postern.js';
import { fmt, opsPerSecond, seconds, type Row } from './table.js';

export async function verification(): Promise<Row[]> {
  const p = await startTestPostern({ mcpServers: {} });
  try {
    const { tokens } = await fullFlow(p.issuer, p.mcpUrl, p.password);
    const real = tokens.body.access_token;
    const claims = JSON.parse(Buffer.from(real.split('.')[1], 'base64url').toString());
    const keys = await loadSigningKeys(p.store, 3600);
    const key = await importJWK(keys.active.jwk, 'RS256');
    // Distinct tokens for the same live grant, each verified once.
    const fresh: string[] = [];
    for (let i = 0; i < 3000; i++) {
      fresh.push(await new SignJWT({ ...claims, jti: `bench-${i}` }).setProtectedHeader({ alg: 'RS256', kid: keys.active.jwk.kid, typ: 'at+jwt' }).sign(key));
    }
    const guard = p.guard!;
    const header = `Bearer ${real}`;
    if (!(await guard.check(header)).ok) throw new Error('the benchmark token is refused');
    const cached = await opsPerSecond(() => guard.check(header), seconds * 1000);
    let i = 0;
    const started = performance.now();
    for (const t of fresh) if ((await guard.check(`Bearer ${t}`)).ok) i++;
    const uncached = i / ((performance.now() - started) / 1000);
    if (i !== fresh.length) throw new Error(`${fresh.length - i} fresh tokens were refused`);
    return [
      {
        measurement: 'token verifications per second: cached vs first sight',
        result: `${fmt(cached)} /s cached`,
        baseline: `${fmt(uncached)} /s uncached`,
        ratio: `${fmt(cached / uncached, 1)}×`,
        target: '≥ 100,000 /s cached',
        verdict: cached >= 100_000 ? 'meets' : 'falls short',
      },
    ];
  } finally {
    await p.destroy();
  }
}
