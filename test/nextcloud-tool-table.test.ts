// The Nextcloud toolset's definitions: every tool issue 13 names exists with a title, a
// description, schemas and all three hints, and docs/nextcloud.md's generated table matches them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { nextcloudTools } from '../src/nextcloud/index.js';
import { TABLE_BEGIN, TABLE_END, toolTableMarkdown } from '../src/nextcloud/tool-table.js';

const REQUIRED = `files_list files_stat files_read files_write files_mkdir files_move files_copy files_delete files_search files_favorites
files_versions_list files_versions_restore files_trash_list files_trash_restore notes_list notes_search notes_get notes_create notes_update
notes_append notes_delete calendar_list_calendars calendar_list_events calendar_get_event calendar_create_event calendar_update_event
calendar_delete_event calendar_free_busy tasks_list tasks_create tasks_update tasks_complete tasks_delete contacts_list_addressbooks
contacts_search contacts_get contacts_create contacts_update contacts_delete deck_list_boards deck_get_board deck_create_board
deck_create_stack deck_create_card deck_update_card deck_move_card deck_delete_card deck_assign_label deck_assign_user shares_list
shares_create shares_update shares_delete talk_list_conversations talk_read_messages talk_send_message search_providers search
tables_list tables_read_rows tables_insert_row tables_update_row tables_delete_row`.split(/\s+/);

describe('Nextcloud tool definitions', () => {
  const tools = nextcloudTools();

  it('has every tool the issue lists, each fully described', () => {
    const names = tools.map((t) => t.name);
    assert.deepEqual(
      REQUIRED.filter((n) => !names.includes(n)),
      [],
    );
    assert.equal(new Set(names).size, names.length, 'names are unique');
    for (const t of tools) {
      assert.match(t.name, /^[a-z_]{1,64}$/);
      assert.ok(t.title && t.description.length > 20, `${t.name} has a title and a description`);
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint'] as const)
        assert.equal(typeof t.annotations[hint], 'boolean', `${t.name} ${hint}`);
      assert.equal(z.toJSONSchema(t.outputSchema).type, 'object');
      assert.equal(z.toJSONSchema(t.inputSchema).type, 'object');
    }
  });

  it("docs/nextcloud.md's tool table is the generated one", () => {
    const doc = readFileSync(new URL('../docs/nextcloud.md', import.meta.url), 'utf8');
    const start = doc.indexOf(TABLE_BEGIN);
    const end = doc.indexOf(TABLE_END);
    assert.ok(start >= 0 && end > start, 'the doc has the table markers');
    assert.equal(doc.slice(start, end + TABLE_END.length), toolTableMarkdown(), 'run: node --import tsx scripts/nextcloud-tool-table.ts --write');
  });
});
