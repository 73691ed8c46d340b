// `npm run build`: compiles src/ to dist/ with tsc (tsconfig.build.json) and copies the files
// that are not TypeScript (stylesheets) beside the compiled modules that read them.
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
const manifest = createRequire(import.meta.url).resolve('typescript/package.json');
const tsc = path.join(path.dirname(manifest), JSON.parse(readFileSync(manifest, 'utf8')).bin.tsc);
const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (compiled.status !== 0) {
  process.stderr.write('build: tsc failed\n');
  process.exit(compiled.status ?? 1);
}
for (const file of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!file.isFile() || file.name.endsWith('.ts')) continue;
  const from = path.join(file.parentPath ?? file.path, file.name); // .path before Node 20.12
  cpSync(from, path.join(dist, path.relative(src, from)));
}
