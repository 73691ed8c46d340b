// Trusted reverse-proxy headers: a proxy in front of Postern (oauth2-proxy, Authelia, Caddy's
// forward_auth, …) has already signed the user in and says who it is in a header. The header is
// believed only from peers inside trustedSourceCidrs; from anywhere else it is refused.
import type { IncomingMessage } from 'node:http';
import { cidrList } from '../../config/cidr.js';
import type { AccountStore } from '../../store/types.js';
import { findRememberedAccount, rememberAccount } from '../accounts.js';
import { rolesFor } from '../roles.js';
import type { InteractiveSource, StepContext } from '../sign-in.js';
import type { Principal } from '../types.js';
import type { TrustedHeaderConfig } from './schema.js';

type HeaderLogin = { kind: 'none' } | { kind: 'untrusted'; peer: string } | { kind: 'ok'; principal: Principal };

const PREFIX = 'header:';
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what a user name must not hold
const USER = /^[^\s\x00-\x1f]{1,200}$/;

export class TrustedHeaderSource implements InteractiveSource {
  readonly id = 'trusted-header';
  private readonly trusted: (address: string | undefined) => boolean;

  constructor(
    private readonly config: TrustedHeaderConfig,
    private readonly groupRoles: Record<string, string[]>,
    private readonly store: AccountStore,
  ) {
    this.trusted = cidrList(config.trustedSourceCidrs);
  }

  /** Whether the peer (the proxy, not X-Forwarded-For) may assert identity headers. */
  private isTrustedPeer(req: IncomingMessage): boolean {
    return this.trusted(req.socket.remoteAddress);
  }

  private header(req: IncomingMessage, name: string): string | undefined {
    const v = req.headers[name.toLowerCase()];
    return (Array.isArray(v) ? v[0] : v)?.trim() || undefined;
  }

  /** Reads the user from the request; records the account so tokens can be refreshed later. */
  private async fromRequest(req: IncomingMessage): Promise<HeaderLogin> {
    const user = this.header(req, this.config.userHeader);
    if (!user) return { kind: 'none' };
    if (!this.isTrustedPeer(req)) return { kind: 'untrusted', peer: req.socket.remoteAddress ?? 'unknown' };
    if (!USER.test(user)) return { kind: 'none' };
    const groups = (this.header(req, this.config.groupsHeader) ?? '')
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean);
    const principal: Principal = {
      subject: PREFIX + user,
      displayName: user,
      email: this.header(req, this.config.emailHeader),
      groups,
      roles: rolesFor(groups, this.groupRoles, this.config.injectedRoles),
    };
    await rememberAccount(this.store, principal);
    return { kind: 'ok', principal };
  }

  /**
   * Signs the user in from the proxy's headers before any form is shown. Headers from a peer
   * outside the CIDRs are refused; so is a request without them when there is no other way in.
   */
  async beforeLoginPage(ctx: StepContext): Promise<boolean> {
    const result = await this.fromRequest(ctx.req);
    if (result.kind === 'ok') {
      await ctx.signedIn(result.principal, 'trusted-header');
      return true;
    }
    if (result.kind !== 'untrusted' && ctx.otherWaysIn) return false;
    ctx.refused(`trusted-header from ${ctx.req.socket.remoteAddress}`);
    ctx.fail(
      403,
      'Not allowed',
      result.kind === 'untrusted'
        ? 'This server does not accept identity headers from your address.'
        : 'Sign-in here goes through the reverse proxy in front of this server.',
    );
    return true;
  }

  async findAccount(subject: string): Promise<Principal | undefined> {
    return findRememberedAccount(this.store, PREFIX, subject);
  }
}
