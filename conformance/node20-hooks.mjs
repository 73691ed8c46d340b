// Lets the conformance CLI run on Node 20: it imports `globSync` from "fs", which Node adds in
// 22. This module-load hook rewrites that one import to the small equivalent below (the CLI only
// uses it to find "**/checks.json" under a results directory). On Node >= 22 nothing is changed.
import { readdirSync } from 'node:fs';
import path from 'node:path';

export function globSync(pattern, { cwd = process.cwd() } = {}) {
  const name = pattern.replace(/^\*\*\//, '');
  return readdirSync(cwd, { recursive: true })
    .map(String)
    .filter((f) => path.basename(f) === name);
}

export async function load(url, context, next) {
  const result = await next(url, context);
  if (!url.includes('/@modelcontextprotocol/conformance/dist/') || !result.source) return result;
  const source = String(result.source);
  const named = /globSync as (\w+),?/.exec(source);
  if (!named) return result;
  return { ...result, source: `${source.replace(named[0], '')}\nimport { globSync as ${named[1]} } from ${JSON.stringify(import.meta.url)};\n` };
}
