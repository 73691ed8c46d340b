// A user's link to their own Nextcloud account: the app password Postern holds for them (from
// Login Flow v2, the password form, or "Connect Nextcloud" on /account), sealed in the store as
// the "nextcloud" credential. Every write of that credential goes through here, so that Postern
// keeps one app password per user: a new link deletes the app password of the one it replaces at
// Nextcloud, and removing a link deletes its app password too. App passwords the user typed into
// the password form are theirs: forgotten, never deleted at Nextcloud. A link Nextcloud refused
// (401: the user revoked the app password) is kept, marked stale, until the user connects again;
// the toolset then asks them to.
import type { Logger } from 'pino';
import type { UpstreamCredentials } from '../credentials.js';
import { deleteAppPassword } from './app-passwords.js';
import type { LinkTickets } from './link-tickets.js';

export const NEXTCLOUD_CREDENTIAL = 'nextcloud';
/** The page (under Postern's public base) where a signed-in user links or re-links Nextcloud. */
export const NEXTCLOUD_CONNECT_PATH = '/account/nextcloud';

export interface NextcloudLink {
  /** The Nextcloud login name the app password belongs to. */
  loginName: string;
  appPassword: string;
  /** Nextcloud refused the app password (401); the user must connect again. */
  stale?: boolean;
  /** The user typed this app password into the password form: Postern did not make it, and never deletes it at Nextcloud. */
  typed?: boolean;
}

/** The Nextcloud server app passwords are deleted at (identity.nextcloud), and where to say that failed. */
export interface LinkServer {
  url: string;
  timeoutMs: number;
  log?: Logger;
  /** Resource-server-only mode behind Nextcloud: connect URLs carry a ticket for the subject (link-tickets.ts). */
  tickets?: LinkTickets;
}

export class NextcloudLinks {
  /** `server`: where replaced and removed app passwords are deleted; without it they are only forgotten. */
  constructor(
    private readonly credentials: UpstreamCredentials,
    private readonly server?: LinkServer,
  ) {}

  /** The Nextcloud server links are made with and deleted at, when one is configured. */
  get serverUrl(): string | undefined {
    return this.server?.url;
  }

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

  /**
   * Stores a new link for the subject, replacing any earlier one, whose app password is then
   * deleted at Nextcloud (unless it is the same one, or one the user typed). A failed deletion is
   * logged; the new link stays.
   */
  async put(subject: string, link: NextcloudLink): Promise<void> {
    const previous = await this.get(subject);
    await this.write(subject, { loginName: link.loginName, appPassword: link.appPassword, typed: link.typed || undefined });
    if (previous && previous.appPassword !== link.appPassword) await this.discard(subject, previous, 'replaced');
  }

  /**
   * Marks the link stale after Nextcloud refused it. Given the app password that was refused, only
   * a link that still holds it is marked (the user may have connected again meanwhile).
   */
  async markStale(subject: string, refused?: string): Promise<void> {
    const link = await this.get(subject);
    if (link && !link.stale && (refused === undefined || link.appPassword === refused)) await this.write(subject, { ...link, stale: true });
  }

  /**
   * Where the subject links (or re-links) their account: the page under Postern's public base
   * `base`. The toolset puts this URL in its "connect Nextcloud" answers. Where Postern signs
   * nobody in (resource-server-only mode behind Nextcloud), it carries a short-lived, single-use
   * ticket for the subject instead of the account page's sign-in.
   */
  async connectUrl(base: string, subject: string): Promise<string> {
    const tickets = this.server?.tickets;
    return tickets ? `${base}${NEXTCLOUD_CONNECT_PATH}?ticket=${encodeURIComponent(await tickets.issue(subject))}` : `${base}${NEXTCLOUD_CONNECT_PATH}`;
  }

  /** Forgets the subject's link and deletes its app password at Nextcloud; returns whether there was one. */
  async remove(subject: string): Promise<boolean> {
    const previous = await this.get(subject);
    const removed = await this.credentials.delete(subject, NEXTCLOUD_CREDENTIAL);
    if (previous) await this.discard(subject, previous, 'removed');
    return removed;
  }

  private async write(subject: string, link: NextcloudLink): Promise<void> {
    await this.credentials.put(subject, NEXTCLOUD_CREDENTIAL, JSON.stringify(link));
  }

  /** Deletes a link's app password at Nextcloud; never throws (a failure is logged). */
  private async discard(subject: string, link: NextcloudLink, why: 'replaced' | 'removed'): Promise<void> {
    if (link.typed || !this.server) return;
    const { url, timeoutMs, log } = this.server;
    try {
      const deleted = await deleteAppPassword(url, link.loginName, link.appPassword, timeoutMs);
      log?.info({ subject, loginName: link.loginName, why, deleted }, deleted ? 'Nextcloud app password deleted' : 'Nextcloud app password was gone already');
    } catch (err) {
      log?.warn(
        { subject, loginName: link.loginName, why, err: (err as Error).message },
        "deleting the Nextcloud app password failed; it stays in the user's Nextcloud security settings",
      );
    }
  }
}
