// Prints the generated tool table of docs/nextcloud.md; with --write, replaces it in the file.
// Run: node --import tsx scripts/nextcloud-tool-table.ts [--write]
import { readFileSync, writeFileSync } from 'node:fs';
import { TABLE_BEGIN, TABLE_END, toolTableMarkdown } from '../src/nextcloud/tool-table.js';

const table = toolTableMarkdown();
if (process.argv.includes('--write')) {
  const file = new URL('../docs/nextcloud.md', import.meta.url);
  const doc = readFileSync(file, 'utf8');
  const [start, end] = [doc.indexOf(TABLE_BEGIN), doc.indexOf(TABLE_END)];
  if (start < 0 || end < start) throw new Error(`docs/nextcloud.md has no ${TABLE_BEGIN} … ${TABLE_END} markers`);
  writeFileSync(file, doc.slice(0, start) + table + doc.slice(end + TABLE_END.length));
} else {
  process.stdout.write(`${table}\n`);
}
