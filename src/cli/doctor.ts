// `postern doctor URL`: runs the doctor's checks against an MCP URL and prints the checklist (or
// JSON with --json); the exit code is 1 when any check failed, 2 for bad arguments.
import { existsSync } from 'node:fs';
import { IdentityError } from '../identity/types.js';
import { renderJson, renderText } from '../doctor/report.js';
import { runDoctor } from '../doctor/run.js';

export interface DoctorArgs {
  json: boolean;
  register: boolean;
  ca?: string;
  token?: string;
  timeout?: string;
  skip?: string[];
}

/** Default bound of each request and wait, seconds. */
export const DEFAULT_TIMEOUT_S = 10;

export async function runDoctorCommand(args: string[], opts: DoctorArgs): Promise<number> {
  const [raw, ...extra] = args;
  if (!raw || extra.length)
    throw new IdentityError('usage: postern doctor URL [--json] [--register] [--token TOKEN] [--ca FILE] [--timeout SECONDS] [--skip CHECK]');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new IdentityError(`doctor: "${raw}" is not a URL; give the MCP URL clients use, e.g. https://mcp.example.com/mcp`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new IdentityError(`doctor: the URL must be http(s), not ${url.protocol}`);
  const timeout = opts.timeout === undefined ? DEFAULT_TIMEOUT_S : Number(opts.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 300) throw new IdentityError('doctor: --timeout must be a number of seconds between 0 and 300');
  if (opts.ca && !existsSync(opts.ca)) throw new IdentityError(`doctor: --ca ${opts.ca}: no such file`);
  const report = await runDoctor(url, {
    timeoutMs: Math.round(timeout * 1000),
    caFile: opts.ca,
    token: opts.token ?? process.env.POSTERN_DOCTOR_TOKEN,
    register: opts.register,
    skip: opts.skip
      ?.flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean),
  });
  process.stdout.write(opts.json ? renderJson(report) : renderText(report));
  return report.failed ? 1 : 0;
}
