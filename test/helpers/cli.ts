// Runs the `postern` command as its own process, from the TypeScript sources through tsx
// (scripts/postern-from-source.js) unless another entry is given, and collects what it printed.
import { spawn } from 'node:child_process';
import path from 'node:path';

export const CLI_FROM_SOURCE = path.resolve(import.meta.dirname, '../../scripts/postern-from-source.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCommand(
  command: string,
  args: string[],
  opts: { env?: Record<string, string>; input?: string; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...opts.env },
      timeout: opts.timeoutMs ?? 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** `postern ARGS` from the sources. */
export function runPostern(args: string[], opts: Parameters<typeof runCommand>[2] = {}): Promise<CliResult> {
  return runCommand(process.execPath, [CLI_FROM_SOURCE, ...args], opts);
}
