// Whose Nextcloud credentials a call uses, decided per call for the server of one caller:
// - linked (the default): the caller's own link (login name + app password, from Login Flow v2,
//   the password form or "Connect Nextcloud"), with the user id behind the login name asked once;
//   no link or a stale one answers "connect your Nextcloud" (protocol/link-required.ts), and a
//   401 marks the link stale;
// - forwardUserToken (resource-server-only mode behind Nextcloud's oidc app): the caller's own
//   bearer token, the subject being their Nextcloud user id;
// - single account (opt-in): the one configured account, for everyone.
import type { ServerContext } from '@modelcontextprotocol/server';
import { currentCall, type CallerIdentity } from '../backends/call-context.js';
import type { NextcloudLink } from '../identity/nextcloud/links.js';
import { acceptsUrlElicitation, askToOpenLink, type LinkNeeded, linkRequiredResult } from '../protocol/link-required.js';
import { NextcloudConnection } from './connection.js';
import { NextcloudError, ResultError } from './errors.js';
import type { CallerResolver } from './register.js';
import type { NextcloudSettings } from './schema.js';
import type { NextcloudCaller, NextcloudTool } from './types.js';

/** The part of identity/nextcloud/links.ts the toolset uses: it reads links and marks them stale. */
export interface LinkReader {
  get(subject: string): Promise<NextcloudLink | undefined>;
  /** Marks the link stale, unless it no longer holds the `refused` app password. */
  markStale(subject: string, refused?: string): Promise<void>;
  connectUrl(base: string, subject: string): Promise<string>;
}

export interface AccessDeps {
  links?: LinkReader;
  /** Postern's public base URL (the link page is below it). */
  publicBase?: () => string;
}

/** How one caller's server reaches Nextcloud: the resolver for each call, and the tools wrapped to react to a refused link. */
export interface CallerAccess {
  resolve: CallerResolver;
  guard(tool: NextcloudTool): NextcloudTool;
}

const SERVICE = 'Nextcloud';

export function callerAccess(settings: NextcloudSettings & { url: string }, caller: CallerIdentity | undefined, deps: AccessDeps): CallerAccess {
  const baseUrl = settings.url;
  if (settings.singleAccount) {
    const single: NextcloudCaller = { baseUrl, username: settings.user ?? '', credential: { kind: 'basic', appPassword: settings.password ?? '' } };
    return { resolve: () => single, guard: (tool) => tool };
  }
  if (settings.forwardUserToken) {
    return {
      resolve: () => {
        const token = currentCall()?.userToken;
        if (!caller || !token) throw new NextcloudError('unauthorized', 'This call carries no token of a signed-in user to pass on to Nextcloud.');
        return { baseUrl, username: caller.subject, credential: { kind: 'bearer', token } };
      },
      guard: (tool) => tool,
    };
  }
  const needed = async (subject: string, stale: boolean): Promise<LinkNeeded> => ({
    service: SERVICE,
    url: deps.links ? await deps.links.connectUrl(deps.publicBase?.() ?? '', subject) : '',
    stale,
  });
  // The user id behind the link's login name (they differ when the user signed in with an email),
  // asked once per link; this server serves one caller, so one entry.
  let known: { appPassword: string; id: Promise<string> } | undefined;
  const userIdOf = (link: NextcloudLink): Promise<string> => {
    if (known?.appPassword !== link.appPassword) {
      const asLink: NextcloudCaller = { baseUrl, username: link.loginName, credential: { kind: 'basic', appPassword: link.appPassword } };
      const id = new NextcloudConnection(asLink, undefined, settings.requestTimeoutMs)
        .ocs<{ id?: string } | undefined>('GET', '/cloud/user', {}, 'your Nextcloud account')
        .then((user) => user?.id || link.loginName);
      known = { appPassword: link.appPassword, id };
      id.catch(() => known?.id === id && (known = undefined));
    }
    return known!.id;
  };
  /** Nextcloud refused the link's app password: mark it stale, unless it was replaced meanwhile. */
  const refused = async (subject: string, appPassword: string): Promise<ResultError> => {
    await deps.links!.markStale(subject, appPassword);
    return new ResultError(linkRequiredResult(await needed(subject, true)));
  };
  return {
    async resolve(ctx: ServerContext) {
      if (!caller) throw new NextcloudError('rejected', 'Nextcloud tools act for a signed-in user; this call has none.');
      if (!deps.links) throw new NextcloudError('rejected', 'This Postern keeps no Nextcloud account links; ask its administrator.');
      const link = await deps.links.get(caller.subject);
      if (link && !link.stale) {
        const credential = { kind: 'basic' as const, appPassword: link.appPassword };
        try {
          return { baseUrl, username: await userIdOf(link), loginName: link.loginName, credential };
        } catch (err) {
          if (err instanceof NextcloudError && err.kind === 'unauthorized') throw await refused(caller.subject, link.appPassword);
          throw err;
        }
      }
      const need = await needed(caller.subject, link?.stale === true);
      if (acceptsUrlElicitation(currentCall()?.capabilities)) {
        await askToOpenLink((request) => ctx.mcpReq.send(request as never), need);
      }
      throw new ResultError(linkRequiredResult(need));
    },
    guard(tool) {
      return {
        ...tool,
        async handler(args, who, signal) {
          const result = await tool.handler(args, who, signal);
          const kind = (result._meta?.nextcloud as { kind?: string } | undefined)?.kind;
          if (!result.isError || kind !== 'unauthorized' || !caller || !deps.links || who.credential.kind !== 'basic') return result;
          return (await refused(caller.subject, who.credential.appPassword)).result;
        },
      };
    },
  };
}
