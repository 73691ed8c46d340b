#!/usr/bin/env node
// The `postern` command straight from the TypeScript sources through tsx, without a build: what the
// tests spawn, and handy while changing the code (`node scripts/postern-from-source.js serve`).
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../src/cli/main.ts');
await run(process.argv.slice(2));
