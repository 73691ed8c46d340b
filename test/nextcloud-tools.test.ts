// The Nextcloud toolset against the real Nextcloud test server (../shared/nextcloud), as alice and
// as bob: every family, that bob never sees or changes alice's data, updates that keep what they
// do not change, If-Match conflicts, error mapping (401, 404, 412, unreachable), capabilities, and
// the tools and files resource registered on an SDK McpServer.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { McpServer } from '@modelcontextprotocol/server';
import {
  availableTools,
  closeNextcloudPools,
  nextcloudTools,
  probeCapabilities,
  registerNextcloud,
  type NextcloudCaller,
  type NextcloudTool,
} from '../src/nextcloud/index.js';
import { freePort } from './helpers/backends.js';
import { connectClient, serveMcp } from './helpers/mcp-http.js';
import { fixtureCallers, mintAppPassword, revokeAppPassword, unique } from './helpers/nextcloud-fixture.js';

type Result = Awaited<ReturnType<NextcloudTool['handler']>>;

describe('Nextcloud toolset against a real Nextcloud', { timeout: 240_000 }, () => {
  let alice: NextcloudCaller;
  let bob: NextcloudCaller;
  let cleanup: () => Promise<void>;
  const tools = Object.fromEntries(nextcloudTools().map((t) => [t.name, t]));
  const dir = `/${unique('postern-test')}`;
  const undo: Array<() => Promise<unknown>> = [];

  /** Calls a tool and asserts it succeeded; returns structuredContent. */
  async function ok(name: string, args: Record<string, unknown>, who = alice): Promise<any> {
    const r = await tools[name]!.handler(args, who);
    assert.notEqual(r.isError, true, `${name} failed: ${JSON.stringify(r.content)}`);
    assert.ok(r.structuredContent, `${name} returned structuredContent`);
    tools[name]!.outputSchema.parse(r.structuredContent);
    return r.structuredContent;
  }
  /** Calls a tool and asserts a tool error; returns its message. */
  async function fails(name: string, args: Record<string, unknown>, who = alice): Promise<{ text: string; meta: any }> {
    const r: Result = await tools[name]!.handler(args, who);
    assert.equal(r.isError, true, `${name} should have failed: ${JSON.stringify(r.structuredContent)}`);
    return { text: r.content.map((c) => (c.type === 'text' ? c.text : '')).join(''), meta: (r._meta as any)?.nextcloud };
  }

  before(async () => {
    ({ alice, bob, cleanup } = await fixtureCallers());
    await ok('files_mkdir', { path: dir });
  });
  after(async () => {
    for (const u of undo.reverse()) await u().catch(() => undefined);
    await tools.files_delete!.handler({ path: dir }, alice);
    const trash = await tools.files_trash_list!.handler({ limit: 500 }, alice);
    for (const t of (trash.structuredContent as any)?.items ?? []) {
      if (String(t.originalPath).startsWith(dir)) {
        await fetch(`${alice.baseUrl}/remote.php/dav/trashbin/alice/trash/${encodeURIComponent(t.trashId)}`, {
          method: 'DELETE',
          headers: { authorization: `Basic ${Buffer.from(`alice:${(alice.credential as any).appPassword}`).toString('base64')}` },
        });
      }
    }
    await cleanup();
    await closeNextcloudPools();
  });

  it('files: write, list by pages, stat, read, copy, move, search, favorites, versions, trash', async () => {
    const a = await ok('files_write', { path: `${dir}/a.txt`, content: 'first' });
    assert.equal(a.created, true);
    await ok('files_write', { path: `${dir}/b.bin`, content: Buffer.from([0, 255, 1, 2]).toString('base64'), encoding: 'base64' });
    await ok('files_mkdir', { path: `${dir}/sub/deeper`, parents: true });
    const p1 = await ok('files_list', { path: dir, limit: 2 });
    assert.deepEqual(
      p1.items.map((e: any) => e.name),
      ['a.txt', 'b.bin'],
    );
    const p2 = await ok('files_list', { path: dir, limit: 2, cursor: p1.nextCursor });
    assert.deepEqual(
      p2.items.map((e: any) => e.name),
      ['sub'],
    );
    assert.equal(p2.nextCursor, undefined);
    const deep = await ok('files_list', { path: dir, depth: 2 });
    assert.ok(deep.items.some((e: any) => e.path === `${dir}/sub/deeper`));

    const read = await ok('files_read', { path: `${dir}/a.txt` });
    assert.deepEqual([read.text, read.encoding, read.etag], ['first', 'utf-8', a.etag]);
    const bin = await tools.files_read!.handler({ path: `${dir}/b.bin` }, alice);
    const blob = bin.content.find((c) => c.type === 'resource') as any;
    assert.equal(Buffer.from(blob.resource.blob, 'base64').toString('hex'), '00ff0102');

    await new Promise((r) => setTimeout(r, 1100)); // versions are named by modification second
    const v2 = await ok('files_write', { path: `${dir}/a.txt`, content: 'second', etag: a.etag });
    const stale = await fails('files_write', { path: `${dir}/a.txt`, content: 'third', etag: a.etag });
    assert.match(stale.text, /changed since you read it.*current ETag is/);
    assert.equal(stale.meta.currentEtag, v2.etag);
    assert.match((await fails('files_write', { path: `${dir}/a.txt`, content: 'x', createOnly: true })).text, /already exists/);

    await ok('files_copy', { from: `${dir}/a.txt`, to: `${dir}/sub/c.txt` });
    assert.match((await fails('files_move', { from: `${dir}/sub/c.txt`, to: `${dir}/a.txt` })).text, /already exists/);
    await ok('files_move', { from: `${dir}/sub/c.txt`, to: `${dir}/sub/renamed.txt` });
    assert.equal((await ok('files_stat', { path: `${dir}/sub/renamed.txt` })).size, 6);

    const found = await ok('files_search', { name: 'renamed', under: dir });
    assert.deepEqual(
      found.items.map((e: any) => e.path),
      [`${dir}/sub/renamed.txt`],
    );
    assert.deepEqual((await ok('files_search', { type: 'folder', under: dir })).items.map((e: any) => e.name).sort(), ['deeper', 'sub']);

    await ok('files_set_favorite', { path: `${dir}/a.txt` });
    assert.ok((await ok('files_favorites', {})).items.some((e: any) => e.path === `${dir}/a.txt`));

    const versions = await ok('files_versions_list', { path: `${dir}/a.txt` });
    const first = versions.versions.find((v: any) => v.size === 5);
    assert.ok(first, 'the first content is kept as a version');
    await ok('files_versions_restore', { path: `${dir}/a.txt`, versionId: first.versionId });
    assert.equal((await ok('files_read', { path: `${dir}/a.txt` })).text, 'first');

    await ok('files_delete', { path: `${dir}/sub/renamed.txt` });
    const trash = await ok('files_trash_list', {});
    const item = trash.items.find((t: any) => t.originalPath === `${dir}/sub/renamed.txt`);
    assert.ok(item);
    await ok('files_trash_restore', { trashId: item.trashId });
    assert.equal((await ok('files_read', { path: `${dir}/sub/renamed.txt` })).text, 'second');
  });

  it('files: reads past maxReadBytes are refused, paths cannot climb out', async () => {
    await ok('files_write', { path: `${dir}/big.txt`, content: 'x'.repeat(5000) });
    const small = nextcloudTools({ maxReadBytes: 1000 }).find((t) => t.name === 'files_read')!;
    const r = await small.handler({ path: `${dir}/big.txt` }, alice);
    assert.equal(r.isError, true);
    assert.match((r.content[0] as any).text, /larger than the 1000-byte limit/);
    assert.match((await fails('files_read', { path: '/../bob/x' })).text, /may not contain/);
  });

  it("bob never sees or changes alice's files", async () => {
    await ok('files_write', { path: `${dir}/private.txt`, content: 'alice only' });
    assert.match((await fails('files_read', { path: `${dir}/private.txt` }, bob)).text, /Not found in Nextcloud: .*private\.txt/);
    assert.match((await fails('files_delete', { path: `${dir}/private.txt` }, bob)).text, /Not found/);
    assert.equal((await ok('files_search', { name: 'private' }, bob)).items.length, 0);
    assert.equal((await ok('files_read', { path: `${dir}/private.txt` })).text, 'alice only');
  });

  it('notes: create, list, search, update with ETag, append, delete; bob sees none', async () => {
    const cat = unique('cat');
    const n = await ok('notes_create', { content: `# Groceries\nbuy ${cat}`, category: cat });
    undo.push(() => tools.notes_delete!.handler({ id: n.id }, alice));
    assert.equal(n.title, 'Groceries');
    assert.deepEqual(
      (await ok('notes_list', { category: cat })).items.map((x: any) => x.id),
      [n.id],
    );
    assert.deepEqual(
      (await ok('notes_search', { query: cat.toUpperCase() })).items.map((x: any) => x.id),
      [n.id],
    );
    const u = await ok('notes_update', { id: n.id, title: 'Shopping', etag: n.etag });
    assert.equal(u.content, `# Groceries\nbuy ${cat}`, 'fields left out stay');
    const stale = await fails('notes_update', { id: n.id, content: 'lost', etag: n.etag });
    assert.equal(stale.meta.kind, 'precondition');
    assert.equal(stale.meta.currentEtag, u.etag);
    assert.equal((await ok('notes_append', { id: n.id, text: 'milk' })).content, `# Groceries\nbuy ${cat}\nmilk`);
    assert.match((await fails('notes_get', { id: n.id }, bob)).text, /Not found/);
    await fails('notes_update', { id: n.id, content: 'bob was here' }, bob);
    assert.equal((await ok('notes_search', { query: cat }, bob)).items.length, 0);
    await ok('notes_delete', { id: n.id });
    assert.match((await fails('notes_get', { id: n.id })).text, /Not found in Nextcloud: note/);
  });

  it('calendar: recurrences expanded, updates keep alarms and unknown properties, 412, free/busy; bob sees none', async () => {
    const cals = await ok('calendar_list_calendars', {});
    assert.ok(cals.calendars.some((c: any) => c.id === 'personal'));
    const title = unique('standup');
    const ev = await ok('calendar_create_event', { summary: title, start: '2031-03-03T09:00:00Z', rrule: 'FREQ=DAILY;COUNT=5' });
    undo.push(() => tools.calendar_delete_event!.handler({ eventId: ev.eventId }, alice));
    const listed = await ok('calendar_list_events', { from: '2031-03-02T00:00:00Z', to: '2031-03-06T00:00:00Z' });
    const mine = listed.items.filter((e: any) => e.summary === title);
    assert.deepEqual(
      mine.map((e: any) => e.start),
      ['2031-03-03T09:00:00.000Z', '2031-03-04T09:00:00.000Z', '2031-03-05T09:00:00.000Z'],
    );
    assert.equal(
      (await ok('calendar_list_events', { from: '2031-03-02T00:00:00Z', to: '2031-03-06T00:00:00Z' }, bob)).items.some((e: any) => e.summary === title),
      false,
    );
    assert.match((await fails('calendar_get_event', { eventId: ev.eventId }, bob)).text, /Not found/);
    await fails('calendar_delete_event', { eventId: ev.eventId }, bob);

    // An event written by another client, with an alarm and a property this toolset does not know.
    const uid = unique('uid');
    const raw = `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//other//EN\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20310101T000000Z\r\nDTSTART:20310310T100000Z\r\nDTEND:20310310T110000Z\r\nSUMMARY:Review\r\nX-OTHER-CLIENT:keep me\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Reminder\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
    const url = `${alice.baseUrl}/remote.php/dav/calendars/alice/personal/${uid}.ics`;
    const auth = { authorization: `Basic ${Buffer.from(`alice:${(alice.credential as any).appPassword}`).toString('base64')}` };
    assert.equal((await fetch(url, { method: 'PUT', body: raw, headers: { ...auth, 'content-type': 'text/calendar' } })).status, 201);
    const eventId = `personal/${uid}.ics`;
    undo.push(() => tools.calendar_delete_event!.handler({ eventId }, alice));
    const got = await ok('calendar_get_event', { eventId });
    assert.equal(got.alarms, 1);
    const upd = await ok('calendar_update_event', { eventId, etag: got.etag, location: 'Room 7' });
    assert.deepEqual([upd.summary, upd.location, upd.alarms], ['Review', 'Room 7', 1]);
    const after = await (await fetch(url, { headers: auth })).text();
    assert.match(after, /X-OTHER-CLIENT:keep me/);
    assert.match(after, /BEGIN:VALARM[\s\S]*TRIGGER:-PT15M/);
    const stale = await fails('calendar_update_event', { eventId, etag: got.etag, summary: 'lost' });
    assert.match(stale.text, new RegExp(`${eventId} changed since you read it.*current ETag is ${upd.etag}`));

    const fb = await ok('calendar_free_busy', { from: '2031-03-10T00:00:00Z', to: '2031-03-11T00:00:00Z' });
    assert.deepEqual(
      fb.busy.map((b: any) => [b.start, b.end]),
      [['2031-03-10T10:00:00.000Z', '2031-03-10T11:00:00.000Z']],
    );
    assert.match((await fails('calendar_list_events', { from: '2031-01-01T00:00:00Z', to: '2033-01-01T00:00:00Z' })).text, /at most 366 days/);
    await ok('calendar_delete_event', { eventId: ev.eventId });
  });

  it('tasks: create, list, complete, reopen, update, delete; bob sees none', async () => {
    const title = unique('task');
    const t = await ok('tasks_create', { summary: title, due: '2031-01-01', priority: 3 });
    undo.push(() => tools.tasks_delete!.handler({ taskId: t.taskId }, alice));
    assert.ok((await ok('tasks_list', {})).items.some((x: any) => x.summary === title));
    assert.equal(
      (await ok('tasks_list', {}, bob)).items.some((x: any) => x.summary === title),
      false,
    );
    await fails('tasks_complete', { taskId: t.taskId }, bob);
    const done = await ok('tasks_complete', { taskId: t.taskId });
    assert.deepEqual([done.status, done.percentComplete], ['COMPLETED', 100]);
    assert.equal(
      (await ok('tasks_list', {})).items.some((x: any) => x.summary === title),
      false,
    );
    assert.ok((await ok('tasks_list', { includeCompleted: true })).items.some((x: any) => x.summary === title));
    const reopened = await ok('tasks_complete', { taskId: t.taskId, completed: false });
    assert.equal(reopened.completed, undefined);
    assert.deepEqual([(await ok('tasks_update', { taskId: t.taskId, description: 'details' })).priority], [3]);
    await ok('tasks_delete', { taskId: t.taskId });
  });

  it('contacts: search, update keeps unknown properties, 412; bob sees none', async () => {
    const name = unique('Zed');
    const c = await ok('contacts_create', { fullName: `${name} Example`, emails: [`${name}@example.com`], organization: 'ACME' });
    undo.push(() => tools.contacts_delete!.handler({ contactId: c.contactId }, alice));
    assert.deepEqual(
      (await ok('contacts_search', { query: `${name}@EXAMPLE` })).items.map((x: any) => x.contactId),
      [c.contactId],
    );
    assert.equal((await ok('contacts_search', { query: name }, bob)).items.length, 0);
    assert.match((await fails('contacts_get', { contactId: c.contactId }, bob)).text, /Not found/);
    const u = await ok('contacts_update', { contactId: c.contactId, etag: c.etag, title: 'CTO' });
    assert.deepEqual([u.title, u.organization, u.emails], ['CTO', 'ACME', [`${name}@example.com`]]);
    assert.equal((await fails('contacts_update', { contactId: c.contactId, etag: c.etag, title: 'x' })).meta.currentEtag, u.etag);
    await ok('contacts_delete', { contactId: c.contactId });
  });

  it('deck: boards, stacks, cards, labels, assignees, moves; bob cannot open the board', async () => {
    const b = await ok('deck_create_board', { title: unique('board') });
    undo.push(() =>
      fetch(`${alice.baseUrl}/index.php/apps/deck/api/v1.0/boards/${b.id}`, {
        method: 'DELETE',
        headers: { 'ocs-apirequest': 'true', authorization: `Basic ${Buffer.from(`alice:${(alice.credential as any).appPassword}`).toString('base64')}` },
      }),
    );
    const todo = await ok('deck_create_stack', { boardId: b.id, title: 'To do', order: 0 });
    const doneStack = await ok('deck_create_stack', { boardId: b.id, title: 'Done', order: 1 });
    const card = await ok('deck_create_card', { boardId: b.id, stackId: todo.id, title: 'Write docs', description: 'all of them' });
    const upd = await ok('deck_update_card', { boardId: b.id, stackId: todo.id, cardId: card.id, title: 'Write the docs' });
    assert.equal(upd.description, 'all of them');
    const board = await ok('deck_get_board', { boardId: b.id });
    await ok('deck_assign_label', { boardId: b.id, stackId: todo.id, cardId: card.id, labelId: board.labels[0].id });
    await ok('deck_assign_user', { boardId: b.id, stackId: todo.id, cardId: card.id, userId: 'alice' });
    await ok('deck_move_card', { boardId: b.id, stackId: todo.id, cardId: card.id, toStackId: doneStack.id });
    const now = await ok('deck_get_board', { boardId: b.id });
    const moved = now.stacks.find((s: any) => s.id === doneStack.id).cards[0];
    assert.deepEqual([moved.title, moved.labels.length, moved.assignedUsers], ['Write the docs', 1, ['alice']]);
    assert.ok((await ok('deck_list_boards', {})).boards.some((x: any) => x.id === b.id));
    assert.equal(
      (await ok('deck_list_boards', {}, bob)).boards.some((x: any) => x.id === b.id),
      false,
    );
    assert.match((await fails('deck_get_board', { boardId: b.id }, bob)).text, /refused access/);
    await fails('deck_delete_card', { boardId: b.id, stackId: doneStack.id, cardId: card.id }, bob);
    await ok('deck_delete_card', { boardId: b.id, stackId: doneStack.id, cardId: card.id });
  });

  it('sharing: with a user, a public link with password and expiry, update, delete', async () => {
    await ok('files_write', { path: `${dir}/shared.txt`, content: 'for bob' });
    const s = await ok('shares_create', { path: `${dir}/shared.txt`, type: 'user', shareWith: 'bob', permissions: 1 });
    const link = await ok('shares_create', { path: `${dir}/shared.txt`, type: 'link', password: 'Long-Link-Pass-2026!', expireDate: '2031-01-01' });
    assert.match(link.url, /\/s\//);
    assert.equal(link.expiration, '2031-01-01');
    assert.deepEqual((await ok('shares_list', { path: `${dir}/shared.txt` })).shares.map((x: any) => x.type).sort(), ['link', 'user']);
    assert.equal((await ok('shares_update', { shareId: s.id, permissions: 3 })).permissions, 3);
    assert.ok((await ok('shares_list', { sharedWithMe: true }, bob)).shares.some((x: any) => x.id === s.id));
    await fails('shares_delete', { shareId: link.id }, bob);
    await ok('shares_delete', { shareId: s.id });
    await ok('shares_delete', { shareId: link.id });
  });

  it("unified search and Tables; bob cannot read alice's table", async () => {
    assert.ok((await ok('search_providers', {})).providers.some((p: any) => p.id === 'files'));
    await ok('files_write', { path: `${dir}/needle-${dir.slice(-8)}.md`, content: 'x' });
    const hits = await ok('search', { term: `needle-${dir.slice(-8)}`, providers: ['files'] });
    assert.equal(hits.results.length, 1);

    const tables = await ok('tables_list', {});
    const table = tables.tables[0];
    const col = table.columns[0].title;
    const value = unique('row');
    const row = await ok('tables_insert_row', { tableId: table.id, values: { [col]: value } });
    undo.push(() => tools.tables_delete_row!.handler({ rowId: row.id }, alice));
    assert.equal((await ok('tables_update_row', { tableId: table.id, rowId: row.id, values: { [col]: `${value}!` } })).values[col], `${value}!`);
    const page = await ok('tables_read_rows', { tableId: table.id, limit: 200 });
    assert.ok(page.rows.some((r: any) => r.values[col] === `${value}!`));
    assert.match((await fails('tables_insert_row', { tableId: table.id, values: { nope: 1 } })).text, /no column "nope"/);
    assert.match((await fails('tables_read_rows', { tableId: table.id }, bob)).text, /refused access/);
    await fails('tables_delete_row', { rowId: row.id }, bob);
    await ok('tables_delete_row', { rowId: row.id });
  });

  it('errors: 404 names the path, a revoked app password asks to reconnect, an unreachable server is named', async () => {
    assert.match((await fails('files_stat', { path: `${dir}/missing.txt` })).text, new RegExp(`Not found in Nextcloud: ${dir}/missing\\.txt`));
    const pw = await mintAppPassword('alice');
    const revoked: NextcloudCaller = { ...alice, credential: { kind: 'basic', appPassword: pw } };
    await ok('files_stat', { path: dir }, revoked);
    await revokeAppPassword('alice', pw);
    const r = await fails('files_stat', { path: dir }, revoked);
    assert.match(r.text, /did not accept your credentials.*Reconnect/);
    assert.equal(r.meta.status, 401);
    const port = await freePort();
    const gone = await fails('notes_list', {}, { ...alice, baseUrl: `http://127.0.0.1:${port}` });
    assert.match(gone.text, new RegExp(`Nextcloud at http://127.0.0.1:${port} is unreachable`));
  });

  it('capabilities: the families this server offers (no Talk), cached', async () => {
    const apps = await probeCapabilities(alice);
    assert.deepEqual([...apps].sort(), ['calendar', 'contacts', 'deck', 'files', 'notes', 'search', 'sharing', 'tables', 'tasks']);
    assert.equal(await probeCapabilities(alice), await probeCapabilities(alice).then(() => apps));
    const names = availableTools(nextcloudTools(), apps).map((t) => t.name);
    assert.ok(!names.some((n) => n.startsWith('talk_')) && names.includes('deck_get_board'));
    assert.deepEqual(
      nextcloudTools({ apps: ['notes'] }).map((t) => t.app),
      Array(7).fill('notes'),
    );
  });

  it('on an McpServer: tools/list with schemas and annotations, calls, and the files resource', async () => {
    await ok('files_write', { path: `${dir}/resource.md`, content: '# hello' });
    const defs = nextcloudTools({ apps: ['files', 'notes'] });
    const server = await serveMcp(() => {
      const s = new McpServer({ name: 'nextcloud', version: '1' });
      registerNextcloud(s, defs, () => alice);
      return s;
    });
    try {
      const client = await connectClient(server.url, 'unused', { era: 'modern' });
      const listed = (await client.listTools()).tools;
      assert.equal(listed.length, defs.length);
      const read = listed.find((t) => t.name === 'files_read')!;
      assert.equal(read.annotations?.readOnlyHint, true);
      assert.equal(listed.find((t) => t.name === 'files_delete')!.annotations?.destructiveHint, true);
      assert.ok(read.outputSchema && read.title);
      const res = await client.callTool({ name: 'files_read', arguments: { path: `${dir}/resource.md` } });
      assert.equal((res.structuredContent as any).text, '# hello');
      const missing = await client.callTool({ name: 'files_read', arguments: { path: `${dir}/nope.md` } });
      assert.equal(missing.isError, true);
      const templates = (await client.listResourceTemplates()).resourceTemplates;
      assert.deepEqual(
        templates.map((t) => t.uriTemplate),
        ['nextcloud://files/{+path}'],
      );
      const contents = (await client.readResource({ uri: `nextcloud://files${dir}/resource.md` })).contents;
      assert.deepEqual(
        contents.map((c: any) => [c.uri, c.text]),
        [[`nextcloud://files${dir}/resource.md`, '# hello']],
      );
      await client.close();
    } finally {
      await server.close();
    }
  });
});
