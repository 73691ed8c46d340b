// A user's Nextcloud link lives as long as they let some app act for them: when the last grant
// of theirs to an app (any client but the account page's own) is withdrawn, revoked or destroyed,
// their link goes too, and its app password is deleted at Nextcloud. It hooks the store's grant
// events, so every way a grant ends behaves the same: the account page, token revocation at
// /revoke, refresh-token reuse, an admin. A link is kept while any other app still holds a
// grant, since deleting it would break that app's Nextcloud tools. Grants that simply expire are
// swept without an event and leave the link (the user unlinks on /account/nextcloud).
import type { Logger } from 'pino';
import type { NextcloudLinks } from '../identity/nextcloud/links.js';
import type { OidcArtifacts, RevokedGrant } from '../store/types.js';
import { ACCOUNT_CLIENT_ID } from './page-session.js';

/** Starts following grant withdrawals; returns the function that stops it. */
export function unlinkNextcloudOnLastGrant(store: OidcArtifacts, links: NextcloudLinks, log: Logger): () => void {
  // One check at a time per user, in order, so that two withdrawals do not race each other.
  const running = new Map<string, Promise<void>>();

  async function check(grant: RevokedGrant): Promise<void> {
    const left = await store.oidcGrantsOf(grant.accountId);
    if (left.some((g) => g.record.payload.clientId !== ACCOUNT_CLIENT_ID)) return;
    if (await links.remove(grant.accountId)) log.info({ subject: grant.accountId, client: grant.clientId }, 'last app grant withdrawn: Nextcloud link removed');
  }

  return store.onGrantRevoked((_grantId, grant) => {
    if (!grant || grant.clientId === ACCOUNT_CLIENT_ID) return;
    const next = (running.get(grant.accountId) ?? Promise.resolve())
      .then(() => check(grant))
      .catch((err: unknown) => log.warn({ err, subject: grant.accountId }, 'removing the Nextcloud link after a withdrawal failed'));
    running.set(grant.accountId, next);
    void next.finally(() => {
      if (running.get(grant.accountId) === next) running.delete(grant.accountId);
    });
  });
}
