// What the sign-in and consent pages say about the client asking: its name, where the browser
// goes back to, and for a client ID metadata document client the host that publishes the
// document — the one thing about it that is vouched for (by TLS) — and whether it sends the
// browser back to this computer, where any program could be listening.
import type Provider from 'oidc-provider';
import { documentHost } from './client-id-documents.js';
import { isLoopbackRedirect } from '../net/redirect-uris.js';

export interface ClientView {
  /** The name the client gives itself (its client_id when it gives none). */
  name: string;
  clientId: string;
  /** Host (or app scheme) of the redirect URI of this request. */
  redirectHost: string;
  /** For a metadata-document client: the host of its client_id URL. */
  documentHost?: string;
  /** A metadata-document client whose redirect goes to loopback. */
  loopbackWarning: boolean;
}

/** How a page names the client: a metadata-document client by its host first (the name is only its claim). */
export const clientTitle = (c: ClientView) => (c.documentHost ? `${c.documentHost} ("${c.name}")` : c.name);

export async function clientView(provider: Provider, params: Record<string, unknown>): Promise<ClientView> {
  const clientId = String(params.client_id ?? '');
  const client = await provider.Client.find(clientId).catch(() => undefined);
  const redirect = URL.parse(String(params.redirect_uri ?? ''));
  const host = documentHost(clientId);
  return {
    name: (client?.clientName as string | undefined) ?? clientId,
    clientId,
    redirectHost: redirect ? redirect.host || redirect.protocol : 'unknown',
    documentHost: host,
    loopbackWarning: !!host && isLoopbackRedirect(params.redirect_uri),
  };
}
