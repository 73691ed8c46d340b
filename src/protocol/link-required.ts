// The answer to a call that needs the user to link an account first (their own sign-in at a
// remote MCP server, their Nextcloud): a LinkRequired error travels from where the need is found
// up to the MCP face, which answers with linkRequired(): a URL-mode elicitation
// (URLElicitationRequiredError, -32042) when the client declared it can open URLs, otherwise a
// tool result marked isError that carries the link for the user to open.
import { UrlElicitationRequiredError } from '@modelcontextprotocol/server';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { randomUUID } from 'node:crypto';

/** A call cannot go on until the user opens `url` and links `what` (e.g. "tracker"). */
export class LinkRequired extends Error {
  override name = 'LinkRequired';
  constructor(
    readonly url: string,
    readonly what: string,
    reason = 'not linked',
  ) {
    super(`connect your ${what} account first (${reason}): open ${url}`);
  }
}

/** The client capabilities that matter here: elicitation, and whether its `url` mode is declared. */
export interface ElicitationCapability {
  elicitation?: { url?: object };
}

function message(what: string): string {
  return `This needs your ${what} account. Open the link, connect ${what}, then try again.`;
}

/**
 * The answer for a tool call that needs `what` linked at `url`: throws the URL elicitation error
 * when the client declared URL-mode elicitation, or returns a tool error with the link.
 */
export function linkRequired(url: string, what: string, capabilities?: ElicitationCapability): CallToolResult {
  if (capabilities?.elicitation?.url) {
    throw new UrlElicitationRequiredError([{ mode: 'url', elicitationId: randomUUID(), url, message: message(what) }]);
  }
  return { isError: true, content: [{ type: 'text', text: `${message(what)}\n${url}` }] };
}
