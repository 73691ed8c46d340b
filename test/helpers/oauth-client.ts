// The MCP SDK v2 client wired as a real OAuth client against Postern: an in-memory
// OAuthClientProvider (what an MCP host implements) plus a helper that runs the whole flow.
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import type { OAuthClientProvider } from '@modelcontextprotocol/client';
import { authorizeInBrowser } from './browser.js';

type Info = Awaited<ReturnType<OAuthClientProvider['clientInformation']>>;
type Tokens = Awaited<ReturnType<OAuthClientProvider['tokens']>>;
type Discovery = Parameters<NonNullable<OAuthClientProvider['saveDiscoveryState']>>[0];

export const CALLBACK = 'http://127.0.0.1:53682/callback';

export class MemoryOAuthProvider implements OAuthClientProvider {
  info: Info;
  savedTokens: Tokens;
  verifier = '';
  discovery?: Discovery;
  authorizationUrl?: URL;

  constructor(
    readonly redirect = CALLBACK,
    readonly name = 'Postern test client',
  ) {}

  get redirectUrl() {
    return this.redirect;
  }

  get clientMetadata() {
    return {
      client_name: this.name,
      redirect_uris: [this.redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  clientInformation() {
    return this.info;
  }

  saveClientInformation(info: NonNullable<Info>) {
    this.info = info;
  }

  tokens() {
    return this.savedTokens;
  }

  saveTokens(tokens: NonNullable<Tokens>) {
    this.savedTokens = tokens;
  }

  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }

  saveCodeVerifier(v: string) {
    this.verifier = v;
  }

  codeVerifier() {
    return this.verifier;
  }

  // Kept with the verifier so that the SDK can check the callback came from the same AS.
  saveDiscoveryState(state: Discovery) {
    this.discovery = state;
  }

  discoveryState() {
    return this.discovery;
  }
}

export type Era = 'legacy' | 'modern';

export function newClient(era: Era = 'legacy'): Client {
  return new Client({ name: 'postern-test', version: '1.0.0' }, era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {});
}

/** Runs the browser part of a sign-in: from the authorization URL to the client's callback URL. */
export type Authorizer = (authorizationUrl: string, callbackPrefix: string) => Promise<URL>;

/** Connects with OAuth, signing in through the pages when the provider has no usable token. */
export async function connectWithOAuth(
  mcpUrl: string,
  provider: MemoryOAuthProvider,
  user: { username: string; password: string } | Authorizer,
  era: Era = 'legacy',
): Promise<{ client: Client; transport: StreamableHTTPClientTransport; signedIn: boolean; callback?: URL }> {
  const url = new URL(mcpUrl);
  let transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
  let client = newClient(era);
  try {
    await client.connect(transport);
    return { client, transport, signedIn: false };
  } catch (err) {
    if (!(err instanceof UnauthorizedError) || !provider.authorizationUrl) throw err;
  }
  await client.close().catch(() => {});
  const authorize: Authorizer = typeof user === 'function' ? user : async (url, prefix) => (await authorizeInBrowser(url, prefix, user)).callback;
  const callback = await authorize(provider.authorizationUrl.toString(), provider.redirect);
  await transport.finishAuth(callback.searchParams);
  transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
  client = newClient(era);
  await client.connect(transport);
  return { client, transport, signedIn: true, callback };
}
