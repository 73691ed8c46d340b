// `postern init SETUP`: writes a commented configuration for one of the usual set-ups, checked
// with the same loader `postern serve` uses before it is written.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config/load.js';
import { renderConfig, setups } from './init-templates.js';
import { UsageError } from './usage-error.js';

export interface InitFlags {
  output?: string;
  issuer?: string;
  upstream?: string;
}

const usage = () =>
  'usage: postern init SETUP [--issuer https://mcp.example.com] [--upstream URL] [--output FILE]\n' +
  Object.entries(setups)
    .map(([name, s]) => `  ${name.padEnd(16)} ${s.summary}${s.upstream ? ` (--upstream: its URL, e.g. ${s.upstream})` : ''}`)
    .join('\n');

/** Loads the text as `postern check` would, from a private temporary file, ignoring the environment. */
function validate(text: string): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'postern-init-'));
  try {
    const file = path.join(dir, 'postern.yaml');
    writeFileSync(file, text, { mode: 0o600 });
    loadConfig({ file, env: {} });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new UsageError(`init: --issuer or --upstream gives a value the configuration refuses:\n${err.problems.map((p) => `  - ${p}`).join('\n')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runInit(args: string[], flags: InitFlags): Promise<number> {
  const [name] = args;
  if (!name || !Object.hasOwn(setups, name) || args.length > 1) throw new UsageError(usage());
  if (flags.upstream && !setups[name].upstream) throw new UsageError(`init: --upstream does not apply to "${name}"\n${usage()}`);
  const text = renderConfig(name, { issuer: flags.issuer ?? 'https://mcp.example.com', upstream: flags.upstream });
  validate(text);
  if (!flags.output) {
    process.stdout.write(text);
    return 0;
  }
  try {
    // 'wx': never overwrite a configuration that is already there; 0600: it may come to hold secrets.
    writeFileSync(flags.output, text, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`init: ${flags.output} already exists; move it away or choose another --output`);
    throw err;
  }
  process.stderr.write(`wrote ${flags.output}; edit the example URLs, then run \`postern check --config ${flags.output}\`\n`);
  return 0;
}
