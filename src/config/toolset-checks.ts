// Built-in toolset entries that need other keys: the Nextcloud toolset's url defaults to
// identity.nextcloud.url, single-account mode takes the variables AIquila-style deployments set
// (NEXTCLOUD_URL / NEXTCLOUD_HOST, NEXTCLOUD_USER / NEXTCLOUD_USERNAME, NEXTCLOUD_PASSWORD), and
// forwarding the caller's token needs the same Nextcloud as external authorization server.
import { NEXTCLOUD_TOOLSET, nextcloudSettingsSchema, type NextcloudSettings } from '../nextcloud/schema.js';
import type { Config } from './schema.js';

const first = (env: NodeJS.ProcessEnv, ...names: string[]): [string, string] | undefined => {
  for (const name of names) if (env[name]) return [name, env[name]!];
  return undefined;
};

/** Fills in the toolset entries' defaults (in place) and returns the problems, each naming its key. */
export function toolsetChecks(config: Config, env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  for (const [name, entry] of Object.entries(config.mcpServers ?? {})) {
    if (!('toolset' in entry) || entry.toolset !== NEXTCLOUD_TOOLSET || entry.disabled) continue;
    const where = entry.builtin !== undefined ? `mcpServers.${name}` : `mcpServers.${name}.settings`;
    const settings = entry.settings as Partial<NextcloudSettings> & Record<string, unknown>;
    if (settings.singleAccount) {
      const url = first(env, 'NEXTCLOUD_URL', 'NEXTCLOUD_HOST');
      const user = first(env, 'NEXTCLOUD_USER', 'NEXTCLOUD_USERNAME');
      const password = first(env, 'NEXTCLOUD_PASSWORD');
      if (!settings.url && url) {
        const parsed = nextcloudSettingsSchema.shape.url.safeParse(url[1]);
        if (parsed.success) settings.url = parsed.data;
        else problems.push(`${url[0]}: "${url[1]}" is not a Nextcloud URL; give the base URL with its scheme, e.g. https://cloud.example.com`);
      }
      settings.user ??= user?.[1];
      settings.password ??= password?.[1];
      if (!settings.user) problems.push(`${where}.user: not set; single-account mode needs the Nextcloud account (or set NEXTCLOUD_USER)`);
      if (!settings.password) {
        problems.push(`${where}.password: not set; single-account mode needs that account's app password (or set NEXTCLOUD_PASSWORD)`);
      }
    }
    settings.url ??= config.identity.nextcloud?.url;
    if (!settings.url) {
      problems.push(
        `${where}.url: not set; give the Nextcloud base URL there or in identity.nextcloud.url${settings.singleAccount ? ' (or NEXTCLOUD_URL)' : ''}`,
      );
    }
    if (settings.forwardUserToken) {
      const external = config.auth.external;
      if (!external) {
        problems.push(
          `${where}.forwardUserToken: needs auth.external (Nextcloud's oidc app as authorization server); users' tokens go only to the service that issued them`,
        );
      } else if (settings.url && new URL(settings.url).origin !== new URL(external.issuer).origin) {
        problems.push(
          `${where}.forwardUserToken: ${settings.url} is not the authorization server ${external.issuer}; ` +
            "a user's token is only sent back to the service that issued it — remove forwardUserToken or point url at that Nextcloud",
        );
      }
    }
  }
  return problems;
}
