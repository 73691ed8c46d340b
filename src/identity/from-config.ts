// The identity sources the configuration asks for, in the order the login page offers them:
// local users, Nextcloud (password form, Login Flow v2), upstream OpenID providers, a trusted
// proxy's headers.
import type { Config } from '../config/schema.js';
import type { AccountStore, OidcArtifacts, Store, UserStore } from '../store/types.js';
import { LocalUsers } from './local/users.js';
import type { NextcloudLinks } from './nextcloud/links.js';
import { NextcloudLoginFlow } from './nextcloud/login-flow/source.js';
import { NextcloudPasswordSource } from './nextcloud/password/source.js';
import { OIDC_CALLBACK, OidcSignIn } from './oidc/sign-in.js';
import { OidcUpstream } from './oidc/upstream.js';
import type { Sealer } from './sealed.js';
import { IdentitySources } from './sources.js';
import { TrustedHeaderSource } from './trusted-header/source.js';
import type { IdentitySource } from './types.js';

export function identityFromConfig(
  config: Config['identity'],
  deps: {
    issuer: string;
    store: UserStore & AccountStore & OidcArtifacts & Pick<Store, 'rateLimiter'>;
    sealer: Sealer;
    links: NextcloudLinks;
    /** Signs upstream OpenID sign-in states (derived from the instance secret, so every replica has it). */
    stateKey: string;
  },
): IdentitySources {
  const { store, sealer, links } = deps;
  const { groupRoles, nextcloud } = config;
  const sources: IdentitySource[] = [];
  if (config.local.enabled) sources.push(new LocalUsers(store));
  if (nextcloud?.passwordLogin) sources.push(new NextcloudPasswordSource(nextcloud, groupRoles, store, links));
  if (nextcloud?.loginFlow) sources.push(new NextcloudLoginFlow(nextcloud, groupRoles, store, links, sealer));
  if (config.oidc.length) {
    const redirectUri = `${deps.issuer}${OIDC_CALLBACK}`;
    sources.push(new OidcSignIn(config.oidc.map((u) => new OidcUpstream(u, redirectUri, groupRoles, store, sealer, deps.stateKey))));
  }
  if (config.trustedHeader.enabled) sources.push(new TrustedHeaderSource(config.trustedHeader, groupRoles, store));
  return new IdentitySources(sources);
}
