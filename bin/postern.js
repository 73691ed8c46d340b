#!/usr/bin/env node
// Entry point of the `postern` command: runs the bundled JavaScript in dist/ (`npm run build`),
// with Node's compile cache on where Node has one (22+; see compile-cache.js).
import { enableCompileCache } from './compile-cache.js';

enableCompileCache();
let cli;
try {
  cli = await import('../dist/main.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist/main.js')) throw err;
  process.stderr.write('postern: dist/ is missing; run `npm run build` first (`npm install` in a clone does it)\n');
  process.exit(1);
}
await cli.run(process.argv.slice(2));
