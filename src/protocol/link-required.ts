// "Link your account first": what a call answers when it acts for the caller at an upstream
// service (their Nextcloud, a remote MCP server behind its own OAuth) and holds no usable
// credential of theirs. Two shapes of the same answer:
// - in-process toolsets (Nextcloud) ask the client themselves: URL-mode elicitation
//   (elicitation/create, mode "url") through askToOpenLink, then linkRequiredResult;
// - the gateway's own backends throw a LinkRequired error up to the MCP face, which answers with
//   linkRequired(): URLElicitationRequiredError (-32042) when the client declared URL-mode
//   elicitation, otherwise the same tool result.
// Every tool error (isError: true) carries the page in its text, so a model can pass it on.
import { randomUUID } from 'node:crypto';
import { type CallToolResult, type ClientCapabilities, UrlElicitationRequiredError } from '@modelcontextprotocol/server';

/** The `_meta` key of a link-required tool result: { service, url, stale }. */
export const LINK_REQUIRED_META = 'postern/link-required';

export interface LinkNeeded {
  /** The service's name for people, e.g. "Nextcloud". */
  service: string;
  /** The page where the user links (or re-links) their account. */
  url: string;
  /** The service refused the credential Postern held (revoked): the user reconnects. */
  stale?: boolean;
  /** Why, in a few words, when it is not simply "not linked" (e.g. "it needs more access: repo"). */
  reason?: string;
}

function explain(need: LinkNeeded): string {
  const why = need.reason
    ? `Postern needs your ${need.service} account connected again (${need.reason}).`
    : need.stale
      ? `${need.service} no longer accepts the access you granted Postern (it may have been revoked).`
      : `Your ${need.service} account is not connected to Postern yet.`;
  return `${why} Open ${need.url} to connect your ${need.service} account, then try again.`;
}

/** The tool error that tells the model (and through it the user) where to link the account. */
export function linkRequiredResult(need: LinkNeeded): CallToolResult {
  return {
    isError: true,
    content: [{ type: 'text', text: explain(need) }],
    _meta: { [LINK_REQUIRED_META]: { service: need.service, url: need.url, stale: need.stale === true } },
  };
}

/** Did the client declare URL-mode elicitation? */
export function acceptsUrlElicitation(capabilities: Pick<ClientCapabilities, 'elicitation'> | undefined): boolean {
  return capabilities?.elicitation?.url !== undefined;
}

/**
 * Asks the client to open the link page (URL-mode elicitation) through `send`, the request
 * channel to the caller's client. Answers whether the user agreed to open it; a client that fails
 * to answer counts as no.
 */
export async function askToOpenLink(
  send: (request: { method: string; params: Record<string, unknown> }) => Promise<unknown>,
  need: LinkNeeded,
): Promise<boolean> {
  try {
    const answer = (await send({
      method: 'elicitation/create',
      params: { mode: 'url', elicitationId: randomUUID(), url: need.url, message: explain(need) },
    })) as { action?: string } | undefined;
    return answer?.action === 'accept';
  } catch {
    return false;
  }
}

/** A call cannot go on until the user opens `url` and links `what` (e.g. "tracker"). */
export class LinkRequired extends Error {
  override name = 'LinkRequired';
  constructor(
    readonly url: string,
    readonly what: string,
    readonly reason = 'not linked',
  ) {
    super(`connect your ${what} account first (${reason}): open ${url}`);
  }
}

/** The client capabilities that matter here: elicitation, and whether its `url` mode is declared. */
export type ElicitationCapability = Pick<ClientCapabilities, 'elicitation'>;

/**
 * The answer for a call that needs `what` linked at `url`: throws the URL elicitation error
 * (-32042) when the client declared URL-mode elicitation, or returns the tool error with the link.
 */
export function linkRequired(url: string, what: string, capabilities?: ElicitationCapability, reason?: string): CallToolResult {
  const need: LinkNeeded = { service: what, url, reason: reason === 'not linked' || reason === 'not connected' ? undefined : reason };
  if (acceptsUrlElicitation(capabilities)) {
    throw new UrlElicitationRequiredError([{ mode: 'url', elicitationId: randomUUID(), url, message: explain(need) }]);
  }
  return linkRequiredResult(need);
}
