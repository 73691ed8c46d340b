// Finds a program from a Debian package for the tests of the deployment files: installs the
// package with apt-get when the program is missing and this process is root, else tells why not.
import { spawnSync } from 'node:child_process';

const onPath = (program: string): boolean => spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;

function aptInstall(pkg: string): { ok: boolean; output: string } {
  const res = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', pkg], {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 600_000,
  });
  return { ok: res.status === 0, output: `${res.stderr ?? ''}${res.error?.message ?? ''}` };
}

/** undefined when `program` is there (now); otherwise the reason to skip, for the test's output. */
export function debianTool(program: string, pkg: string): string | undefined {
  if (onPath(program)) return undefined;
  if (process.getuid?.() !== 0 || !onPath('apt-get'))
    return `${program} is missing and cannot be installed here (needs root and apt-get): apt-get install ${pkg}`;
  let attempt = aptInstall(pkg);
  if (!attempt.ok) {
    spawnSync('apt-get', ['update', '-q'], { timeout: 600_000 });
    attempt = aptInstall(pkg);
  }
  if (attempt.ok && onPath(program)) return undefined;
  return `${program} could not be installed with apt-get install ${pkg}: ${attempt.output.trim().split('\n').pop()}`;
}
