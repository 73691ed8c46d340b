// The Nextcloud toolset against the emulator, for what the real server cannot be made to do on
// demand: throttling (429 with Retry-After), a full quota (507), server errors, a server that never
// answers, and the Talk app (the test server does not ship it). Each failure must come back as a
// tool error with a plain message, never as a thrown error.
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import {
  availableTools,
  closeNextcloudPools,
  forgetCapabilities,
  nextcloudTools,
  probeCapabilities,
  type NextcloudCaller,
  type NextcloudTool,
} from '../src/nextcloud/index.js';
import { NextcloudEmulator, ocs } from './nextcloud/emulator.js';

const ok = { status: 'ok', statuscode: 200, message: 'OK' };

describe('Nextcloud toolset: failures and Talk (emulated)', () => {
  const nc = new NextcloudEmulator();
  let caller: NextcloudCaller;
  let tools: Record<string, NextcloudTool>;
  const sent: Array<{ token: string; message: string }> = [];

  before(async () => {
    await nc.start();
    nc.addUser({ id: 'carol', displayname: 'Carol', email: null, groups: [], appPasswords: ['carol-app-pw'] });
    caller = { baseUrl: nc.url, username: 'carol', credential: { kind: 'basic', appPassword: 'carol-app-pw' } };
    // A timeout no answer of the emulator comes near, even on a loaded machine; the call to a
    // server that never answers gets a short one of its own.
    tools = Object.fromEntries(nextcloudTools({ timeoutMs: 30_000 }).map((t) => [t.name, t]));
    const davPath = '/remote.php/dav/files/carol';
    nc.routes.set(`PROPFIND ${davPath}/busy.txt`, (_q, res) => {
      res.writeHead(429, { 'retry-after': '17', 'content-type': 'application/xml' });
      res.end('<?xml version="1.0"?><d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns"><s:message>Slow down</s:message></d:error>');
    });
    nc.routes.set(`PUT ${davPath}/big.bin`, (_q, res) => {
      res.writeHead(507, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0"?><d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns"><s:message>Insufficient space</s:message></d:error>');
    });
    nc.routes.set(`PROPFIND ${davPath}/broken`, (_q, res) => {
      res.writeHead(503);
      res.end('Service Unavailable');
    });
    nc.routes.set(`PROPFIND ${davPath}/slow`, () => {
      /* never answers */
    });
    nc.routes.set('GET /ocs/v2.php/cloud/capabilities', (_q, res, user) => {
      if (!user) return ocs(res, 401, { status: 'failure', statuscode: 997, message: 'Current user is not logged in' }, []);
      ocs(res, 200, ok, { version: { major: 34 }, capabilities: { core: {}, files: {}, dav: {}, spreed: { features: ['chat-v2'] } } });
    });
    nc.routes.set('GET /ocs/v2.php/apps/spreed/api/v4/room', (_q, res) =>
      ocs(res, 200, ok, [
        { token: 'abcd1234', displayName: 'Team', type: 2, unreadMessages: 2, lastActivity: 1_780_000_000 },
        { token: 'efgh5678', displayName: 'Bob', type: 1, unreadMessages: 0, lastActivity: 1_770_000_000 },
      ]),
    );
    nc.routes.set('GET /ocs/v2.php/apps/spreed/api/v1/chat/abcd1234', (_q, res) =>
      ocs(res, 200, ok, [
        {
          id: 12,
          actorId: 'bob',
          actorDisplayName: 'Bob',
          timestamp: 1_780_000_100,
          message: 'Hi {mention-user1}',
          messageParameters: { 'mention-user1': { name: 'Carol' } },
        },
        { id: 11, actorId: 'bob', actorDisplayName: 'Bob', timestamp: 1_780_000_000, message: 'You joined', systemMessage: 'user_added' },
        { id: 10, actorId: 'carol', actorDisplayName: 'Carol', timestamp: 1_779_999_000, message: 'Morning' },
      ]),
    );
    nc.routes.set('POST /ocs/v2.php/apps/spreed/api/v1/chat/abcd1234', (req, res: ServerResponse) => {
      let raw = '';
      req.on('data', (d) => (raw += d));
      req.on('end', () => {
        const { message } = JSON.parse(raw) as { message: string };
        sent.push({ token: 'abcd1234', message });
        ocs(res, 201, ok, { id: 13, actorId: 'carol', actorDisplayName: 'Carol', timestamp: 1_780_000_200, message });
      });
    });
  });
  after(async () => {
    await closeNextcloudPools();
    await nc.stop();
  });

  const text = (r: { content: Array<{ type: string; text?: string }> }) => r.content.map((c) => c.text ?? '').join('\n');

  it('429 becomes a tool error with the retry time', async () => {
    const r = await tools.files_stat!.handler({ path: '/busy.txt' }, caller);
    assert.equal(r.isError, true);
    assert.match(text(r), /throttling.*retry after 17 seconds/);
  });

  it('507 says the quota is full, naming the file', async () => {
    const r = await tools.files_write!.handler({ path: '/big.bin', content: 'x' }, caller);
    assert.equal(r.isError, true);
    assert.match(text(r), /Not enough space.*\/big\.bin.*quota/);
  });

  it('5xx and a server that never answers are plain tool errors', async () => {
    const r = await tools.files_stat!.handler({ path: '/broken' }, caller);
    assert.equal(r.isError, true);
    assert.match(text(r), /internal error \(HTTP 503\) on \/broken/);
    const short = nextcloudTools({ timeoutMs: 2000 }).find((t) => t.name === 'files_stat')!;
    const started = Date.now();
    const slow = await short.handler({ path: '/slow' }, caller);
    const took = Date.now() - started;
    assert.equal(slow.isError, true);
    assert.match(text(slow), /did not answer within 2 seconds/);
    // Ended by its own timeout: not before it, and long before anything else would end it.
    assert.ok(took >= 1900, `ended after ${took} ms, before the 2 s timeout`);
    assert.ok(took < 20_000, `ended only after ${took} ms`);
  });

  it('a cancelled call ends at once as a tool error', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const r = await nextcloudTools({ timeoutMs: 10_000 })
      .find((t) => t.name === 'files_stat')!
      .handler({ path: '/slow' }, caller, ac.signal);
    assert.equal(r.isError, true);
    assert.match(text(r), /cancelled/);
  });

  it('Talk: capabilities include it when spreed is enabled; conversations, messages, sending', async () => {
    forgetCapabilities();
    const apps = await probeCapabilities(caller);
    assert.ok(apps.has('talk') && apps.has('calendar') && !apps.has('deck') && !apps.has('notes'));
    const names = availableTools(nextcloudTools(), apps).map((t) => t.name);
    assert.ok(names.includes('talk_send_message') && !names.includes('deck_list_boards'));

    const rooms = await tools.talk_list_conversations!.handler({}, caller);
    assert.deepEqual(
      (rooms.structuredContent as any).conversations.map((c: any) => [c.token, c.type, c.unread]),
      [
        ['abcd1234', 'group', 2],
        ['efgh5678', 'one-to-one', 0],
      ],
    );
    const read = await tools.talk_read_messages!.handler({ token: 'abcd1234' }, caller);
    assert.deepEqual(
      (read.structuredContent as any).messages.map((m: any) => [m.id, m.text]),
      [
        [10, 'Morning'],
        [12, 'Hi Carol'],
      ],
    );
    const post = await tools.talk_send_message!.handler({ token: 'abcd1234', message: 'Hello team' }, caller);
    assert.equal(post.isError, undefined);
    assert.deepEqual(sent, [{ token: 'abcd1234', message: 'Hello team' }]);
    const bad = await tools.talk_read_messages!.handler({ token: '../x' }, caller);
    assert.equal(bad.isError, true);
  });
});
