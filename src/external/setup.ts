// Resource-server-only mode, assembled: the external authorization server, Postern's client
// there, the token verifier, and the guard (static tokens still work beside it). Protected-resource
// metadata then names the external issuer. Logs at start how a token is known to be for Postern
// when that is not its own aud claim (auth.external.audienceCheck).
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { Guard } from '../guard/guard.js';
import { StaticTokenVerifier } from '../guard/static-tokens.js';
import type { Sealer } from '../identity/sealed.js';
import { DEFAULT_SCOPES, MCP_SCOPES } from '../protocol/scopes.js';
import type { SettingStore, StaticTokenStore, ChangeSignal } from '../store/types.js';
import { ExternalAuthorizationServer, type ExternalConfig } from './authorization-server.js';
import { ClientCredentials } from './client-credentials.js';
import { ExternalTokenVerifier } from './token-verifier.js';

export interface ExternalSetup {
  guard: Guard;
  /** The issuer for protected-resource metadata's authorization_servers. */
  authorizationServer: string;
  scopesSupported: string[];
}

export async function externalGuard(deps: {
  config: Config;
  issuer: string;
  mcpUrl: string;
  store: SettingStore & StaticTokenStore & ChangeSignal;
  sealer: Sealer;
  log: Logger;
}): Promise<ExternalSetup> {
  const { config, issuer, mcpUrl, store, sealer, log } = deps;
  const ext = config.auth.external!;
  const credentials = new ClientCredentials(ext, store, sealer, `${issuer}/`, mcpUrl, log);
  const as = new ExternalAuthorizationServer(ext, credentials, log);
  await as.checkAtStart();
  logAudienceDecision(ext, mcpUrl, log);
  const verifier = new ExternalTokenVerifier({
    as,
    audience: ext.audience ?? [mcpUrl, `${mcpUrl}/`, issuer, `${issuer}/`],
    mapping: {
      subjectClaim: ext.claims.subject,
      groupsClaim: ext.claims.groups,
      groupRoles: config.identity.groupRoles,
      scopes: [...MCP_SCOPES],
      enforceScopes: ext.enforceScopes,
    },
  });
  const guard = new Guard({
    // Static tokens first: they are known locally, and an unknown one must not cost a call to the AS.
    verifiers: [new StaticTokenVerifier(store, config.identity.staticTokens), verifier],
    resourceMetadataUrl: `${issuer}/.well-known/oauth-protected-resource/mcp`,
    scopes: ext.scopes ?? ['openid', ...DEFAULT_SCOPES],
  });
  return { guard, authorizationServer: ext.issuer, scopesSupported: ext.scopes ?? ['openid', ...MCP_SCOPES] };
}

function logAudienceDecision(ext: ExternalConfig, mcpUrl: string, log: Logger): void {
  if (ext.audienceCheck === 'introspection') {
    log.info(
      { issuer: ext.issuer, resource: mcpUrl },
      'auth.external.audienceCheck is "introspection": an opaque token counts as issued for Postern when the authorization server ' +
        "answers its introspection as active to Postern's client, registered with this resource_url; the answer's aud is not checked",
    );
  } else if (ext.audienceCheck === 'none') {
    log.warn(
      { issuer: ext.issuer },
      'auth.external.audienceCheck is "none": a token the authorization server issued for any of its clients, for another service, ' +
        "is accepted here; whoever receives a user's token elsewhere can use it on Postern",
    );
  }
}
