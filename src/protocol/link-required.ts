// "Link your account first": what a tool answers when it acts for the caller at an upstream
// service (Nextcloud, a remote OAuth backend) and holds no usable credential of theirs. A client
// that declared URL-mode elicitation is asked to open the page where the user links the account
// (MCP elicitation/create, mode "url"); every caller gets a tool error (isError: true) whose text
// carries that page, so a model can pass it on to the user.
import { randomUUID } from 'node:crypto';
import type { CallToolResult, ClientCapabilities } from '@modelcontextprotocol/server';

/** The `_meta` key of a link-required tool result: { service, url, stale }. */
export const LINK_REQUIRED_META = 'postern/link-required';

export interface LinkNeeded {
  /** The service's name for people, e.g. "Nextcloud". */
  service: string;
  /** The page where the user links (or re-links) their account. */
  url: string;
  /** The service refused the credential Postern held (revoked): the user reconnects. */
  stale?: boolean;
}

function explain(need: LinkNeeded): string {
  const why = need.stale
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
export function acceptsUrlElicitation(capabilities: ClientCapabilities | undefined): boolean {
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
