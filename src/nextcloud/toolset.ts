// The Nextcloud toolset as a built-in backend (backends/kinds/built-in/): one McpServer per
// calling user, with the same tool list for everyone — the configured families that the server
// runs, probed once per connection without credentials (app-probe.ts) — and each call made with
// that user's own Nextcloud credentials (caller-access.ts).
import { McpServer } from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import type { BuiltInToolset } from '../backends/kinds/built-in/toolset.js';
import { VERSION } from '../version.js';
import { probeApps } from './app-probe.js';
import { type AccessDeps, callerAccess } from './caller-access.js';
import { nextcloudTools } from './index.js';
import { registerNextcloud } from './register.js';
import { NEXTCLOUD_APPS, NEXTCLOUD_TOOLSET, type NextcloudSettings, nextcloudSettingsSchema } from './schema.js';
import type { NextcloudTool, NextcloudToolOptions } from './types.js';

export type NextcloudToolsetDeps = AccessDeps;

const PROBE_TIMEOUT_MS = 10_000;

/** The tools of one connection, by its parsed settings (a reconnect parses anew, and so probes anew). */
const planned = new WeakMap<NextcloudSettings, Promise<NextcloudTool[]>>();

function toolOptions(settings: NextcloudSettings): NextcloudToolOptions {
  return { apps: settings.apps, maxReadBytes: settings.maxReadBytes, timeoutMs: settings.requestTimeoutMs };
}

function checked(settings: NextcloudSettings): NextcloudSettings & { url: string } {
  if (!settings.url) throw new Error('the Nextcloud toolset has no url; set url on its mcpServers entry or identity.nextcloud.url');
  if (settings.singleAccount && (!settings.user || !settings.password)) {
    throw new Error('the Nextcloud toolset is in single-account mode without user and password (or NEXTCLOUD_USER and NEXTCLOUD_PASSWORD)');
  }
  return settings as NextcloudSettings & { url: string };
}

async function plan(settings: NextcloudSettings & { url: string }, log: Logger): Promise<NextcloudTool[]> {
  if (settings.singleAccount) {
    log.warn(
      { nextcloud: settings.url, user: settings.user },
      'Nextcloud single-account mode: every Postern user acts as the one Nextcloud account configured; anyone allowed these tools can read and change its files',
    );
  }
  const wanted = settings.apps ?? NEXTCLOUD_APPS;
  const all = nextcloudTools(toolOptions(settings));
  try {
    const running = await probeApps(settings.url, wanted, Math.min(settings.requestTimeoutMs, PROBE_TIMEOUT_MS));
    const tools = all.filter((t) => running.has(t.app));
    log.info({ nextcloud: settings.url, apps: [...running], tools: tools.length }, 'Nextcloud toolset ready');
    return tools;
  } catch (err) {
    log.warn(
      { nextcloud: settings.url, err: (err as Error).message },
      'Nextcloud did not answer the app probe; offering every configured tool family (calls fail with a clear error until it answers)',
    );
    return all;
  }
}

export function nextcloudToolset(deps: NextcloudToolsetDeps = {}): BuiltInToolset<NextcloudSettings> {
  return {
    name: NEXTCLOUD_TOOLSET,
    settings: nextcloudSettingsSchema,
    async createServer(ctx) {
      const settings = checked(ctx.settings);
      let tools = planned.get(ctx.settings);
      if (!tools) {
        tools = plan(settings, ctx.log);
        planned.set(ctx.settings, tools);
      }
      const access = callerAccess(settings, ctx.caller, deps);
      const server = new McpServer({ name: 'nextcloud', version: VERSION });
      registerNextcloud(server, (await tools).map(access.guard), access.resolve, { ...toolOptions(settings), listFiles: false });
      return server;
    },
  };
}
