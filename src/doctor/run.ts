// `postern doctor URL`: probes an MCP deployment the way Claude.ai and ChatGPT connect to it and
// returns the checklist. Works against any MCP server; every request and wait is bounded.
import { agentChecks } from './agents.js';
import type { DoctorContext, DoctorOptions } from './context.js';
import { corsChecks } from './cors.js';
import { authorizationServerChecks, challengeCheck, protectedResourceChecks } from './discovery.js';
import { Prober } from './http.js';
import { registrationChecks } from './register.js';
import { Report } from './report.js';
import { streamCheck } from './stream.js';
import { clockCheck, transportChecks } from './transport.js';

export type { DoctorOptions } from './context.js';

export async function runDoctor(target: URL, options: DoctorOptions): Promise<Report> {
  const report = new Report(target.toString(), new Set(options.skip ?? []));
  const prober = new Prober({ timeoutMs: options.timeoutMs, caFile: options.caFile });
  if (options.caFile) report.notes.push(`trusting the certificate authority in ${options.caFile} besides the system's`);
  const ctx: DoctorContext = { url: target, prober, report, options };
  try {
    await transportChecks(ctx);
    const first = await challengeCheck(ctx);
    if (!first) {
      report.notes.push('the MCP URL gave no HTTP answer: the other checks were not run');
      return report;
    }
    clockCheck(ctx, first);
    await protectedResourceChecks(ctx);
    await authorizationServerChecks(ctx);
    await corsChecks(ctx);
    await agentChecks(ctx);
    await streamCheck(ctx);
    if (options.register) await registrationChecks(ctx);
    return report;
  } finally {
    await prober.close();
  }
}
