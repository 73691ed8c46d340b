// A user's link to their own Nextcloud account: the app password Postern holds for them (from
// Login Flow v2, the password form, or "Connect Nextcloud" on /account), sealed in the store as
// the "nextcloud" credential. A link Nextcloud refused (401: the user revoked the app password)
// is kept, marked stale, until the user connects again; the toolset then asks them to.
import type { UpstreamCredentials } from '../credentials.js';

export const NEXTCLOUD_CREDENTIAL = 'nextcloud';
/** The page (under Postern's public base) where a signed-in user links or re-links Nextcloud. */
export const NEXTCLOUD_CONNECT_PATH = '/account/nextcloud';

export interface NextcloudLink {
  /** The Nextcloud login name the app password belongs to. */
  loginName: string;
  appPassword: string;
  /** Nextcloud refused the app password (401); the user must connect again. */
  stale?: boolean;
}

export class NextcloudLinks {
  constructor(private readonly credentials: UpstreamCredentials) {}

  /** The subject's link, stale or not; undefined when they never linked or unlinked. */
  async get(subject: string): Promise<NextcloudLink | undefined> {
    const stored = await this.credentials.get(subject, NEXTCLOUD_CREDENTIAL);
    if (stored === undefined) return undefined;
    try {
      const link = JSON.parse(stored) as NextcloudLink;
      return typeof link.loginName === 'string' && typeof link.appPassword === 'string' ? link : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stores a new link for the subject, replacing any earlier one. */
  async put(subject: string, link: NextcloudLink): Promise<void> {
    await this.credentials.put(subject, NEXTCLOUD_CREDENTIAL, JSON.stringify({ loginName: link.loginName, appPassword: link.appPassword }));
  }

  /** Marks the link stale after Nextcloud refused it. */
  async markStale(subject: string): Promise<void> {
    const link = await this.get(subject);
    if (link && !link.stale) await this.credentials.put(subject, NEXTCLOUD_CREDENTIAL, JSON.stringify({ ...link, stale: true }));
  }

  /**
   * Where the subject links (or re-links) their account: the page under Postern's public base
   * `base`. The toolset puts this URL in its "connect Nextcloud" answers.
   */
  async connectUrl(base: string, _subject: string): Promise<string> {
    return `${base}${NEXTCLOUD_CONNECT_PATH}`;
  }

  /** Forgets the subject's link; returns whether there was one. */
  async remove(subject: string): Promise<boolean> {
    return this.credentials.delete(subject, NEXTCLOUD_CREDENTIAL);
  }
}
