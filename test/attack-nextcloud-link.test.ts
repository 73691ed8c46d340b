// Attacks on "Connect Nextcloud" against the real Nextcloud 34 fixture: races between the waiting
// page's poll and the user's next move. A poll that is already on its way when the user unlinks,
// or starts over, must not store a link the user no longer wants, nor leave an app password
// behind at Nextcloud.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UpstreamCredentials } from '../src/identity/credentials.js';
import { NextcloudConnect } from '../src/identity/nextcloud/connect.js';
import { NextcloudLinks } from '../src/identity/nextcloud/links.js';
import { Sealer } from '../src/identity/sealed.js';
import { NEXTCLOUD_PATHS } from '../src/oauth/account-nextcloud.js';
import { authTokensOf, ensureNextcloud, nextcloud } from './helpers/nextcloud.js';
import { grantLoginFlow } from './helpers/nextcloud-login-flow.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

const DEVICE = 'Postern MCP gateway';
const loginUrlOf = (html: string) => {
  const url = /<a class="button" href="([^"]+)"/.exec(html)?.[1];
  assert.ok(url, html.slice(0, 500));
  return url.replace(/&amp;/g, '&');
};

describe('attacks on Connect Nextcloud: poll races', { timeout: 300_000 }, () => {
  let p: TestPostern;
  let links: NextcloudLinks;
  let connect: NextcloudConnect;
  const subjects: string[] = [];

  before(async () => {
    await ensureNextcloud();
    p = await startTestPostern({ mcpServers: {} });
    const secret = readFileSync(path.join(p.dataDir, 'secret'), 'utf8').trim();
    const server = { url: nextcloud.url, timeoutMs: 30_000 };
    links = new NextcloudLinks(new UpstreamCredentials(p.store, new Sealer(secret)), server);
    connect = new NextcloudConnect(links, server, { store: p.store, sealer: new Sealer(secret) });
  });
  after(async () => {
    // A link a failed test left holds an app password of ours: removing it deletes it at Nextcloud.
    for (const subject of subjects) await links?.remove(subject).catch(() => false);
    await p?.destroy();
  });

  /** Starts a flow for a fresh subject and grants it as alice; resolves with the subject. */
  async function grantedFlow(name: string): Promise<string> {
    const subject = `local:${name}-${Math.random().toString(36).slice(2, 8)}`;
    subjects.push(subject);
    await grantLoginFlow(loginUrlOf(await connect.connect(subject, NEXTCLOUD_PATHS)), nextcloud.alice);
    return subject;
  }

  it('Unlink while a poll is on its way: no link comes back, and the app password is deleted', async () => {
    const subject = await grantedFlow('unlink-race');
    const tokensBefore = (await authTokensOf('alice')).filter((t) => t.name === DEVICE).length;
    const polling = connect.wait(subject, NEXTCLOUD_PATHS, 'csrf'); // the waiting page's reload, under way
    await connect.unlink(subject); // the user, in another tab
    const result = await polling;
    assert.notEqual(result.kind, 'linked', 'the poll that lost the race does not link');
    assert.equal(await links.get(subject), undefined, 'the user unlinked: no link');
    const tokensAfter = (await authTokensOf('alice')).filter((t) => t.name === DEVICE).length;
    assert.ok(tokensAfter < tokensBefore, `the granted app password is deleted at Nextcloud (${tokensBefore} → ${tokensAfter})`);
  });

  it('Connect again while a poll of the earlier flow is on its way: the new flow goes on', async () => {
    const subject = await grantedFlow('restart-race');
    const polling = connect.wait(subject, NEXTCLOUD_PATHS, 'csrf');
    await connect.connect(subject, NEXTCLOUD_PATHS); // "Connect again": a new flow replaces the old
    const result = await polling;
    assert.notEqual(result.kind, 'linked', 'the replaced flow does not link');
    assert.equal(await links.get(subject), undefined);
    const next = await connect.wait(subject, NEXTCLOUD_PATHS, 'csrf');
    assert.equal(next.kind, 'page');
    assert.equal((next as { status: number }).status, 200, 'the new flow is still waiting, not forgotten');
    assert.match((next as { html: string }).html, /Continue in Nextcloud/);
  });
});

describe('attacks on link tickets: replay on another replica', () => {
  it('a ticket is redeemed once across replicas sharing one PostgreSQL store, even when they race', async () => {
    const { LinkTickets } = await import('../src/identity/nextcloud/link-tickets.js');
    const { PostgresStore } = await import('../src/store/postgres/store.js');
    const { pgSchema } = await import('./helpers/postgres.js');
    const schema = await pgSchema();
    const [a, b] = await Promise.all([PostgresStore.open({ url: schema.url, pool: 2 }), PostgresStore.open({ url: schema.url, pool: 2 })]);
    try {
      const onA = new LinkTickets('k'.repeat(43), a);
      const onB = new LinkTickets('k'.repeat(43), b);
      const ticket = await onA.issue('victim');
      const racing = await Promise.all([onA.redeem(ticket), onB.redeem(ticket), onB.redeem(ticket), onA.redeem(ticket)]);
      assert.deepEqual(
        racing.filter((s) => s !== undefined),
        ['victim'],
        'exactly one replica redeems it',
      );
      assert.equal(await onB.redeem(ticket), undefined, 'replayed later on another replica');
      assert.equal(await onB.redeem(await onA.issue('mallory')), 'mallory', 'a fresh ticket from A is good on B');
      const forged = `${ticket.slice(0, -2)}AA`;
      assert.equal(await onB.redeem(forged), undefined, 'a ticket not signed by the instance key');
    } finally {
      await Promise.all([a.close(), b.close()]);
      await schema.drop();
    }
  });
});
