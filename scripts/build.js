// `npm run build`: bundles src/ and its dependencies with esbuild into dist/ — the `postern`
// command's entry (dist/main.js) and the chunks it imports on demand (a subcommand, the server),
// all in one folder — and copies the files that are not TypeScript (stylesheets) beside them.
// One bundle instead of some 250 modules of our own and several hundred of the dependencies'
// saves most of start-up's module resolution, file reads and compilation (docs/performance.md).
// Type checking is `npx tsc --noEmit -p .`; esbuild only strips the types.
import { cpSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');

/**
 * Packages left to Node at run time: a native addon (better-sqlite3), what is loaded only on
 * demand and large (the PostgreSQL driver, the OpenTelemetry SDK), pino (its transports resolve
 * worker files next to its own), and packages that are only located, never imported.
 */
const external = [
  'better-sqlite3',
  'pg',
  'pino',
  '@opentelemetry/sdk-node',
  '@opentelemetry/exporter-trace-otlp-http',
  '@modelcontextprotocol/server-everything',
];

// `new URL('<relative>', import.meta.url)` names a file beside the source module; in the bundle
// the module runs from dist/, so the path is rewritten to reach the same file from there (files
// under src/ are copied into dist/ below). Any other use of import.meta.url stops the build,
// except createRequire's, which only needs a place inside the package.
const URL_BESIDE = /new URL\((['"])(\.{1,2}\/[^'"]+)\1, import\.meta\.url\)/g;
const relocate = {
  name: 'relocate-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      let rewritten = 0;
      const contents = text.replace(URL_BESIDE, (_m, q, rel) => {
        rewritten++;
        const target = path.resolve(path.dirname(args.path), rel);
        const shipped = target.startsWith(src + path.sep) ? path.join(dist, path.relative(src, target)) : target;
        return `new URL(${q}${path
          .relative(dist, shipped)
          .split(path.sep)
          .join('/')
          .replace(/^(?!\.)/, './')}${q}, import.meta.url)`;
      });
      const uses = text.split('import.meta.url').length - 1;
      const required = text.split('createRequire(import.meta.url)').length - 1;
      if (uses !== rewritten + required) {
        return { errors: [{ text: `import.meta.url used in a way the bundle cannot relocate (only new URL('./file', import.meta.url) and createRequire)` }] };
      }
      return { contents, loader: 'ts' };
    });
  },
};

rmSync(dist, { recursive: true, force: true });
try {
  await build({
    absWorkingDir: root,
    entryPoints: { main: 'src/cli/main.ts' },
    outdir: dist,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external,
    // Dependencies written as CommonJS call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as __postern_createRequire } from 'node:module';\nconst require = __postern_createRequire(import.meta.url);" },
    // Stack traces name the bundle's lines; `node --enable-source-maps` maps them back to src/
    // (at a start-up cost: Node then reads every map as the modules load).
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
    plugins: [relocate],
  });
} catch {
  process.stderr.write('build: esbuild failed\n');
  process.exit(1);
}
for (const file of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!file.isFile() || file.name.endsWith('.ts')) continue;
  const from = path.join(file.parentPath ?? file.path, file.name); // .path before Node 20.12
  cpSync(from, path.join(dist, path.relative(src, from)));
}
