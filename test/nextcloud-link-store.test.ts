// NextcloudLinks on its own, over a real store and the Nextcloud emulator (which can be stopped on
// demand): a replaced link's app password is deleted at Nextcloud, a typed one never is, the same
// one is kept, a deletion that fails is logged and leaves the new link in place, and markStale
// leaves a newer link alone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { UpstreamCredentials } from '../src/identity/credentials.js';
import { NextcloudLinks } from '../src/identity/nextcloud/links.js';
import { Sealer } from '../src/identity/sealed.js';
import { MemoryStore } from '../src/store/memory.js';
import { LogCapture } from './helpers/postern.js';
import { NextcloudEmulator } from './nextcloud/emulator.js';

describe('NextcloudLinks', () => {
  const nc = new NextcloudEmulator();
  const store = new MemoryStore();
  const capture = new LogCapture();
  let links: NextcloudLinks;

  before(async () => {
    nc.addUser({ id: 'ann', displayname: 'Ann', email: null, groups: [], appPasswords: ['minted-1', 'minted-2', 'typed-1', 'minted-3', 'minted-4'] });
    await nc.start();
    links = new NextcloudLinks(new UpstreamCredentials(store, new Sealer('a-test-secret-a-test-secret-0123')), {
      url: nc.url,
      timeoutMs: 2000,
      log: pino({ level: 'warn' }, capture),
    });
  });
  after(() => nc.stop());

  const left = () => nc.users.get('ann')!.appPasswords;

  it('deletes the replaced app password at Nextcloud, keeps the same one, never deletes a typed one', async () => {
    await links.put('local:ann', { loginName: 'ann', appPassword: 'minted-1' });
    await links.put('local:ann', { loginName: 'ann', appPassword: 'minted-2' });
    assert.ok(!left().includes('minted-1'), 'replaced: deleted');
    await links.put('local:ann', { loginName: 'ann', appPassword: 'minted-2' });
    assert.ok(left().includes('minted-2'), 'the same one again: kept');
    await links.put('local:ann', { loginName: 'ann', appPassword: 'typed-1', typed: true });
    assert.ok(!left().includes('minted-2'));
    await links.put('local:ann', { loginName: 'ann', appPassword: 'minted-3' });
    assert.ok(left().includes('typed-1'), "the user's own app password stays at Nextcloud");
    assert.deepEqual(await links.get('local:ann'), { loginName: 'ann', appPassword: 'minted-3' });
  });

  it('marks stale only the link whose app password was refused', async () => {
    await links.markStale('local:ann', 'minted-2');
    assert.equal((await links.get('local:ann'))?.stale, undefined, 'a newer link is left alone');
    await links.markStale('local:ann', 'minted-3');
    assert.equal((await links.get('local:ann'))?.stale, true);
  });

  it('keeps the new link and logs when Nextcloud cannot delete the old app password', async () => {
    await nc.stop();
    await links.put('local:ann', { loginName: 'ann', appPassword: 'minted-4' });
    assert.equal((await links.get('local:ann'))?.appPassword, 'minted-4');
    const warning = capture.lines.find((l) => l.msg?.startsWith('deleting the Nextcloud app password failed'));
    assert.ok(warning, JSON.stringify(capture.lines));
    assert.equal(warning.subject, 'local:ann');
    assert.ok(!JSON.stringify(capture.lines).includes('minted-3'), 'the app password is not logged');
    assert.equal(await links.remove('local:ann'), true);
    assert.equal(await links.get('local:ann'), undefined);
    assert.equal(await links.remove('local:ann'), false);
  });
});
