#!/usr/bin/env node
// Entry point of the `postern` command: loads the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../src/cli/main.ts');
await run(process.argv.slice(2));
