// `npm run bench`: every benchmark of the gateway, each against its baseline in the same run,
// printed as one table. BENCH_SECONDS shortens or lengthens the timed runs (default 8).
import os from 'node:os';
import { gatewayVsDirect } from './gateway-vs-direct.js';
import { peers } from './peers.js';
import { eras } from './eras.js';
import { verification } from './verification.js';
import { flows } from './flows.js';
import { sessionsMemory } from './sessions-memory.js';
import { grantsScale } from './grants-scale.js';
import { compiledVsSource } from './compiled-vs-source.js';
import { nextcloudFilesStat } from './nextcloud-files-stat.js';
import { postgresStore } from './postgres.js';
import { printTable, type Row } from './table.js';

const rows: Row[] = [];
const benches: Array<[string, () => Promise<Row[]>]> = [
  ['gateway vs direct', gatewayVsDirect],
  ['peers', peers],
  ['eras: stateless vs session', eras],
  ['token verification', verification],
  ['OAuth flows (Postern vs better-auth)', flows],
  ['sessions and start-up', sessionsMemory],
  ['grants at scale', grantsScale],
  ['compiled vs source', compiledVsSource],
  ['nextcloud files_stat', nextcloudFilesStat],
  ['PostgreSQL and replicas', postgresStore],
];
const only = process.env.BENCH_ONLY;
for (const [name, bench] of benches) {
  if (only && !name.includes(only)) continue;
  process.stderr.write(`running ${name}…\n`);
  rows.push(...(await bench()));
}
printTable(rows);
console.log(
  `\nMachine: ${os.cpus().length} cores (${os.cpus()[0]?.model}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`,
);
