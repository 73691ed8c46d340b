// Tasks (CalDAV VTODO in the user's task lists): list, create, update, complete or reopen, delete.
// Creating a task for a user without any task list first creates one named "Tasks".
import { z } from 'zod';
import { calendarsFor, changeObject, createObject, makeCalendarFor, queryComponents, removeObject } from '../caldav.js';
import type { NextcloudConnection } from '../connection.js';
import { CHANGES, CREATES, defineTool, DELETES, READ_ONLY, type AnyToolSpec } from '../define.js';
import type { CalFields } from '../ical.js';
import { cursorInput, limitInput, pageOf } from '../paging.js';
import { done, doneWith, etagInput } from './shared.js';

const task = z.object({
  taskId: z.string(),
  list: z.string(),
  etag: z.string(),
  uid: z.string(),
  summary: z.string(),
  description: z.string().optional(),
  start: z.string().optional(),
  due: z.string().optional(),
  status: z.string().optional(),
  priority: z.number().optional().describe('1 (highest) to 9 (lowest); 0 undefined'),
  percentComplete: z.number().optional(),
  completed: z.string().optional(),
  categories: z.array(z.string()).optional(),
  alarms: z.number(),
});

const taskFields = {
  summary: z.string().max(1000).optional(),
  description: z.string().max(100_000).optional(),
  start: z.string().optional().describe('ISO 8601 date-time or YYYY-MM-DD'),
  due: z.string().optional().describe('ISO 8601 date-time or YYYY-MM-DD'),
  priority: z.number().int().min(0).max(9).optional(),
  percentComplete: z.number().int().min(0).max(100).optional(),
  categories: z.array(z.string().max(100)).max(50).optional(),
};

const shape = (x: { id: string; calendar: string; etag: string } & Record<string, unknown>) => {
  const { id, calendar, end: _end, allDay: _allDay, location: _loc, timezone: _tz, recurrence: _r, recurrenceId: _ri, ...rest } = x;
  return { taskId: id, list: calendar, ...rest } as z.input<typeof task>;
};

async function defaultList(conn: NextcloudConnection, list?: string): Promise<string> {
  const [found] = await calendarsFor(conn, 'vtodo', list, true);
  if (found) return found.id;
  await makeCalendarFor(conn, 'tasks', 'Tasks', 'vtodo');
  return 'tasks';
}

export const tasksTools: AnyToolSpec[] = [
  defineTool({
    name: 'tasks_list',
    title: 'List tasks',
    description:
      "List the user's tasks (to-dos) from all task lists or one, open ones first by due date. Completed tasks are left out unless includeCompleted is true.",
    app: 'tasks',
    input: z.object({
      list: z.string().max(200).optional().describe('A task list id (see calendar_list_calendars).'),
      includeCompleted: z.boolean().default(false),
      cursor: cursorInput,
      limit: limitInput(500, 100),
    }),
    output: z.object({ items: z.array(task), nextCursor: z.string().optional() }),
    annotations: READ_ONLY,
    async run({ list, includeCompleted, cursor, limit }, { conn }) {
      const all = (await queryComponents(conn, await calendarsFor(conn, 'vtodo', list), 'vtodo')).map(shape);
      const open = (t: z.input<typeof task>) => t.status !== 'COMPLETED' && t.status !== 'CANCELLED';
      const items = all
        .filter((t) => includeCompleted || open(t))
        .sort((a, b) => Number(open(b)) - Number(open(a)) || (a.due ?? '~').localeCompare(b.due ?? '~') || a.summary.localeCompare(b.summary));
      return pageOf(items, cursor, limit);
    },
  }),
  defineTool({
    name: 'tasks_create',
    title: 'Create a task',
    description: 'Create a task in a task list (default: the first one the user can add to; a "Tasks" list is created if the user has none).',
    app: 'tasks',
    input: z.object({ list: z.string().max(200).optional(), ...taskFields, summary: z.string().min(1).max(1000) }),
    output: task,
    annotations: CREATES,
    async run({ list, ...fields }, { conn }) {
      const id = await defaultList(conn, list);
      const created = await createObject(conn, id, 'vtodo', { status: 'NEEDS-ACTION', ...fields } as CalFields);
      return shape({ id: created.id, calendar: id, etag: created.etag, ...created.info });
    },
  }),
  defineTool({
    name: 'tasks_update',
    title: 'Update a task',
    description:
      'Change a task; only the fields given change, everything else stays. Pass the etag you read: if the task changed since, nothing is written and you get its new ETag.',
    app: 'tasks',
    input: z.object({ taskId: z.string().max(500), etag: etagInput, ...taskFields }),
    output: task,
    annotations: CHANGES,
    async run({ taskId, etag, ...fields }, { conn }) {
      const changed = await changeObject(conn, taskId, 'vtodo', fields as CalFields, etag);
      return shape({ id: taskId, calendar: taskId.split('/')[0]!, etag: changed.etag, ...changed.info });
    },
  }),
  defineTool({
    name: 'tasks_complete',
    title: 'Complete or reopen a task',
    description: 'Mark a task as done (completed true, the default) or open it again (completed false).',
    app: 'tasks',
    input: z.object({ taskId: z.string().max(500), completed: z.boolean().default(true), etag: etagInput }),
    output: task,
    annotations: CHANGES,
    async run({ taskId, completed, etag }, { conn }) {
      const fields: CalFields = completed
        ? { status: 'COMPLETED', percentComplete: 100, completed: new Date().toISOString() }
        : { status: 'NEEDS-ACTION', percentComplete: 0, completed: '' };
      const changed = await changeObject(conn, taskId, 'vtodo', fields, etag);
      return shape({ id: taskId, calendar: taskId.split('/')[0]!, etag: changed.etag, ...changed.info });
    },
  }),
  defineTool({
    name: 'tasks_delete',
    title: 'Delete a task',
    description: 'Delete a task. Pass etag to refuse if it changed since you read it.',
    app: 'tasks',
    input: z.object({ taskId: z.string().max(500), etag: etagInput }),
    output: done,
    annotations: DELETES,
    async run({ taskId, etag }, { conn }) {
      await removeObject(conn, taskId, etag);
      return doneWith(`Deleted task ${taskId}.`);
    },
  }),
];
