// Tables (the Tables app's API): tables, rows by page with values keyed by column title, and
// inserting, changing and deleting rows.
import { z } from 'zod';
import type { NextcloudConnection } from '../connection.js';
import { CHANGES, CREATES, defineTool, DELETES, READ_ONLY, type AnyToolSpec } from '../define.js';
import { NextcloudError } from '../errors.js';
import { cursorInput, decodeCursor, encodeCursor, limitInput } from '../paging.js';
import { done, doneWith } from './shared.js';

const V1 = '/apps/tables/api/1';

interface Column {
  id: number;
  title: string;
  type: string;
}
interface Row {
  id: number;
  tableId: number;
  data: Array<{ columnId: number; value: unknown }> | null;
}

const tableId = z.number().int().positive().describe('The table id from tables_list.');
const rowId = z.number().int().positive().describe('The row id from tables_read_rows.');
const valuesInput = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).describe('Values by column title (or column id).');
const row = z.object({ id: z.number(), values: z.record(z.string(), z.unknown()) });

const columns = async (conn: NextcloudConnection, table: number) =>
  (await conn.json<Column[]>('GET', `${V1}/tables/${table}/columns`, undefined, { what: `table ${table}` })).data;

function shapeRow(r: Row, cols: Column[]) {
  const title = new Map(cols.map((c) => [c.id, c.title]));
  return { id: r.id, values: Object.fromEntries((r.data ?? []).map((d) => [title.get(d.columnId) ?? String(d.columnId), d.value])) };
}

/** { columnId: value } from values keyed by column title or id; an unknown column is an error. */
function toColumnIds(values: Record<string, unknown>, cols: Column[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(values)) {
    const col = cols.find((c) => c.title === key) ?? cols.find((c) => String(c.id) === key);
    if (!col) throw new NextcloudError('rejected', `The table has no column "${key}"; its columns are: ${cols.map((c) => c.title).join(', ')}.`);
    out[String(col.id)] = v;
  }
  return out;
}

export const tablesTools: AnyToolSpec[] = [
  defineTool({
    name: 'tables_list',
    title: 'List tables',
    description: 'List the tables the user can see in the Tables app, with their columns.',
    app: 'tables',
    input: z.object({}),
    output: z.object({
      tables: z.array(z.object({ id: z.number(), title: z.string(), columns: z.array(z.object({ id: z.number(), title: z.string(), type: z.string() })) })),
    }),
    annotations: READ_ONLY,
    async run(_a, { conn }) {
      const tables = (await conn.json<Array<{ id: number; title: string }>>('GET', `${V1}/tables`, undefined, { what: 'the tables' })).data;
      const out = [];
      for (const t of tables.slice(0, 100))
        out.push({ id: t.id, title: t.title, columns: (await columns(conn, t.id)).map((c) => ({ id: c.id, title: c.title, type: c.type })) });
      return { tables: out };
    },
  }),
  defineTool({
    name: 'tables_read_rows',
    title: 'Read table rows',
    description: "Read a table's rows one page at a time, each with its id and values by column title.",
    app: 'tables',
    input: z.object({ tableId, cursor: cursorInput, limit: limitInput(200, 100) }),
    output: z.object({ rows: z.array(row), nextCursor: z.string().optional() }),
    annotations: READ_ONLY,
    async run({ tableId: t, cursor, limit }, { conn }) {
      const { o } = decodeCursor(cursor);
      const cols = await columns(conn, t);
      const rows = (await conn.json<Row[]>('GET', `${V1}/tables/${t}/rows?limit=${limit + 1}&offset=${o}`, undefined, { what: `table ${t}` })).data;
      return { rows: rows.slice(0, limit).map((r) => shapeRow(r, cols)), ...(rows.length > limit ? { nextCursor: encodeCursor({ o: o + limit }) } : {}) };
    },
  }),
  defineTool({
    name: 'tables_insert_row',
    title: 'Add a table row',
    description: 'Add a row to a table, with values by column title.',
    app: 'tables',
    input: z.object({ tableId, values: valuesInput }),
    output: row,
    annotations: CREATES,
    async run({ tableId: t, values }, { conn }) {
      const cols = await columns(conn, t);
      const r = (await conn.json<Row>('POST', `${V1}/tables/${t}/rows`, { data: toColumnIds(values, cols) }, { what: `table ${t}` })).data;
      return shapeRow(r, cols);
    },
  }),
  defineTool({
    name: 'tables_update_row',
    title: 'Change a table row',
    description: 'Change some values of a row; columns left out stay as they are.',
    app: 'tables',
    input: z.object({ tableId, rowId, values: valuesInput }),
    output: row,
    annotations: CHANGES,
    async run({ tableId: t, rowId: r, values }, { conn }) {
      const cols = await columns(conn, t);
      return shapeRow((await conn.json<Row>('PUT', `${V1}/rows/${r}`, { data: toColumnIds(values, cols) }, { what: `row ${r}` })).data, cols);
    },
  }),
  defineTool({
    name: 'tables_delete_row',
    title: 'Delete a table row',
    description: 'Delete a row of a table (row ids from tables_read_rows).',
    app: 'tables',
    input: z.object({ rowId }),
    output: done,
    annotations: DELETES,
    async run({ rowId: r }, { conn }) {
      await conn.json('DELETE', `${V1}/rows/${r}`, undefined, { what: `row ${r}` });
      return doneWith(`Deleted row ${r}.`);
    },
  }),
];
