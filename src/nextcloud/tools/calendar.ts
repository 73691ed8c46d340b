// Calendar (CalDAV): calendars, events in a time range with recurrences expanded, one event,
// create, update (only the given fields; alarms, attendees and unknown properties kept), delete,
// and free/busy.
import { z } from 'zod';
import { calendarsFor, changeObject, createObject, freeBusy, getObject, listCalendars, queryComponents, removeObject } from '../caldav.js';
import { CHANGES, CREATES, defineTool, DELETES, READ_ONLY, type AnyToolSpec } from '../define.js';
import { NextcloudError } from '../errors.js';
import { busyPeriods, componentsOf, type CalFields } from '../ical.js';
import { cursorInput, limitInput, pageOf } from '../paging.js';
import { done, doneWith, etagInput, isoDateTime } from './shared.js';

const MAX_RANGE_DAYS = 366;

export const eventInfo = z.object({
  uid: z.string(),
  summary: z.string(),
  description: z.string().optional(),
  location: z.string().optional(),
  start: z.string().optional().describe('ISO 8601 (UTC), or YYYY-MM-DD for all-day'),
  end: z.string().optional(),
  allDay: z.boolean(),
  timezone: z.string().optional(),
  recurrence: z.string().optional().describe('RRULE, e.g. FREQ=WEEKLY;BYDAY=MO'),
  recurrenceId: z.string().optional().describe('Set on one occurrence of a recurring event'),
  status: z.string().optional(),
  categories: z.array(z.string()).optional(),
  alarms: z.number().describe('How many reminders the event has'),
});
const eventWithId = eventInfo.extend({ eventId: z.string(), calendar: z.string(), etag: z.string() });

/** A time range argument pair, checked and bounded. */
export function checkRange(from: string, to: string): { start: string; end: string } {
  const [s, e] = [Date.parse(from), Date.parse(to)];
  if (!(e > s)) throw new NextcloudError('rejected', '"to" must be after "from".');
  if (e - s > MAX_RANGE_DAYS * 86_400_000) throw new NextcloudError('rejected', `The range may span at most ${MAX_RANGE_DAYS} days; ask for a shorter one.`);
  return { start: new Date(s).toISOString(), end: new Date(e).toISOString() };
}

const eventFields = {
  summary: z.string().max(1000).optional().describe('Title'),
  description: z.string().max(100_000).optional(),
  location: z.string().max(1000).optional(),
  start: z.string().optional().describe('ISO 8601 date-time (e.g. 2026-05-01T09:00:00+02:00), or YYYY-MM-DD for an all-day event'),
  end: z.string().optional().describe('Same form as start; for all-day events the day after the last day'),
  rrule: z.string().max(500).optional().describe('Recurrence rule, e.g. FREQ=WEEKLY;COUNT=10 ("" removes it)'),
  status: z.enum(['TENTATIVE', 'CONFIRMED', 'CANCELLED']).optional(),
  categories: z.array(z.string().max(100)).max(50).optional(),
};

function defaultEnd(start: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(start)) return new Date(Date.parse(start) + 86_400_000).toISOString().slice(0, 10);
  return new Date(Date.parse(start) + 3_600_000).toISOString();
}

export const calendarTools: AnyToolSpec[] = [
  defineTool({
    name: 'calendar_list_calendars',
    title: 'List calendars',
    description:
      "List the user's calendars and task lists (id, name, color, whether they hold events, tasks or both, and whether the user can add to them). Use the id with the other calendar_ and tasks_ tools.",
    app: 'calendar',
    input: z.object({}),
    output: z.object({
      calendars: z.array(z.object({ id: z.string(), name: z.string(), color: z.string().optional(), components: z.array(z.string()), writable: z.boolean() })),
    }),
    annotations: READ_ONLY,
    run: async (_a, { conn }) => ({ calendars: await listCalendars(conn) }),
  }),
  defineTool({
    name: 'calendar_list_events',
    title: 'List events',
    description:
      'List events between from and to (at most 366 days), from all calendars or one, sorted by start. Recurring events are expanded: each occurrence in the range is listed with its recurrenceId.',
    app: 'calendar',
    input: z.object({
      from: isoDateTime('Start of the range, ISO 8601.'),
      to: isoDateTime('End of the range, ISO 8601.'),
      calendar: z.string().max(200).optional().describe('A calendar id; all calendars when omitted.'),
      cursor: cursorInput,
      limit: limitInput(500, 100),
    }),
    output: z.object({ items: z.array(eventWithId), nextCursor: z.string().optional() }),
    annotations: READ_ONLY,
    async run({ from, to, calendar, cursor, limit }, { conn }) {
      const range = checkRange(from, to);
      const found = await queryComponents(conn, await calendarsFor(conn, 'vevent', calendar), 'vevent', range);
      const items = found.map(({ id, ...e }) => ({ eventId: id, ...e })).sort((a, b) => (a.start ?? '').localeCompare(b.start ?? ''));
      return pageOf(items, cursor, limit);
    },
  }),
  defineTool({
    name: 'calendar_get_event',
    title: 'Read an event',
    description: 'Read one event (its main definition, not expanded) with its etag, which calendar_update_event and calendar_delete_event take.',
    app: 'calendar',
    input: z.object({ eventId: z.string().max(500).describe('The eventId from calendar_list_events.') }),
    output: eventWithId.extend({ overriddenOccurrences: z.number() }),
    annotations: READ_ONLY,
    async run({ eventId }, { conn }) {
      const { data, etag } = await getObject(conn, eventId);
      const all = componentsOf(data, 'vevent');
      const main = all.find((e) => !e.recurrenceId) ?? all[0];
      if (!main) throw new NextcloudError('not-found', `Not found in Nextcloud: event ${eventId}.`);
      return { eventId, calendar: eventId.split('/')[0]!, etag, ...main, overriddenOccurrences: all.length - 1 };
    },
  }),
  defineTool({
    name: 'calendar_create_event',
    title: 'Create an event',
    description:
      'Create an event. end defaults to one hour after start (the next day for all-day events). The calendar defaults to the first one that holds events and that the user can add to.',
    app: 'calendar',
    input: z.object({ calendar: z.string().max(200).optional(), ...eventFields, summary: z.string().min(1).max(1000), start: z.string() }),
    output: eventWithId,
    annotations: CREATES,
    async run({ calendar, ...fields }, { conn }) {
      const [cal] = await calendarsFor(conn, 'vevent', calendar, true);
      if (!cal) throw new NextcloudError('not-found', 'The user has no calendar for events that they can add to.');
      const created = await createObject(conn, cal.id, 'vevent', { ...fields, end: fields.end ?? defaultEnd(fields.start) } as CalFields);
      return { eventId: created.id, calendar: cal.id, etag: created.etag, ...created.info };
    },
  }),
  defineTool({
    name: 'calendar_update_event',
    title: 'Update an event',
    description:
      'Change an event; only the fields given change, everything else (reminders, attendees, other properties) stays. Pass the etag from calendar_get_event: if the event changed since, nothing is written and you get its new ETag to re-read.',
    app: 'calendar',
    input: z.object({ eventId: z.string().max(500), etag: etagInput, ...eventFields }),
    output: eventWithId,
    annotations: CHANGES,
    async run({ eventId, etag, ...fields }, { conn }) {
      const changed = await changeObject(conn, eventId, 'vevent', fields as CalFields, etag);
      return { eventId, calendar: eventId.split('/')[0]!, etag: changed.etag, ...changed.info };
    },
  }),
  defineTool({
    name: 'calendar_delete_event',
    title: 'Delete an event',
    description: 'Delete an event (all its occurrences). Pass etag to refuse if it changed since you read it.',
    app: 'calendar',
    input: z.object({ eventId: z.string().max(500), etag: etagInput }),
    output: done,
    annotations: DELETES,
    async run({ eventId, etag }, { conn }) {
      await removeObject(conn, eventId, etag);
      return doneWith(`Deleted event ${eventId}.`);
    },
  }),
  defineTool({
    name: 'calendar_free_busy',
    title: 'Free/busy times',
    description: "The user's busy periods between from and to (at most 366 days), merged over all their event calendars. Useful to find a free slot.",
    app: 'calendar',
    input: z.object({ from: isoDateTime('Start of the range.'), to: isoDateTime('End of the range.') }),
    output: z.object({ from: z.string(), to: z.string(), busy: z.array(z.object({ start: z.string(), end: z.string(), type: z.string() })) }),
    annotations: READ_ONLY,
    async run({ from, to }, { conn }) {
      const range = checkRange(from, to);
      const busy = [];
      for (const cal of await calendarsFor(conn, 'vevent')) busy.push(...busyPeriods(await freeBusy(conn, cal.id, range.start, range.end)));
      return { from: range.start, to: range.end, busy: busy.sort((a, b) => a.start.localeCompare(b.start)) };
    },
  }),
];
