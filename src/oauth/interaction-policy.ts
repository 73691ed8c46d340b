// When the sign-in pages must be shown. oidc-provider's default asks native clients for consent
// on every authorization; Postern keeps that for clients whose redirect goes to loopback or an
// app scheme (any local program can claim those, RFC 8252 §8.6), and remembers consent (per
// client and scope set) for clients whose redirect is a claimed https URL, like web connectors.
// A browser session whose account is gone (a user disabled or removed since) is asked to sign in
// again, instead of going on without an account (oidc-provider then fails with a 500).
import { interactionPolicy } from 'oidc-provider';
import { isLoopbackHost } from '../net/loopback.js';

const { Check, base } = interactionPolicy;

function redirectIsClaimedHttps(redirectUri: unknown): boolean {
  const url = typeof redirectUri === 'string' ? URL.parse(redirectUri) : null;
  return !!url && url.protocol === 'https:' && !isLoopbackHost(url.hostname);
}

export function createInteractionPolicy() {
  const policy = base();
  policy
    .get('login')!
    .checks.add(
      new Check('account_gone', 'the signed-in account no longer exists (disabled or removed); sign in again', 'login_required', (ctx) =>
        ctx.oidc.session?.accountId && !ctx.oidc.account ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT,
      ),
    );
  const consent = policy.get('consent')!;
  const i = consent.checks.findIndex((c) => c.reason === 'native_client_prompt');
  consent.checks.splice(
    i,
    1,
    new Check('native_client_prompt', 'clients with a loopback or app-scheme redirect must ask every time', 'interaction_required', (ctx) => {
      const { oidc } = ctx;
      if (oidc.params?.response_type === 'none' || oidc.result?.consent) return Check.NO_NEED_TO_PROMPT;
      return redirectIsClaimedHttps(oidc.params?.redirect_uri) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}
