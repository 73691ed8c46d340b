// CalDAV for the calendar and task tools (tsdav): the user's calendars, time-range queries with
// recurrences expanded by the server, and objects read, created, changed with If-Match and
// deleted. Objects are named "<calendar>/<file>.ics".
import { randomUUID } from 'node:crypto';
import { createCalendarObject, deleteCalendarObject, fetchCalendarObjects, makeCalendar, propfind, updateCalendarObject } from 'tsdav';
import type { NextcloudConnection } from './connection.js';
import { collectionIdOf, objectIdOf, objectUrlIn, stripQuotes } from './dav-objects.js';
import { NextcloudError, withCurrentEtag } from './errors.js';
import { buildObject, componentsOf, updateObject, type CalFields, type CalKind, type ComponentInfo } from './ical.js';
import { quoteEtag } from './webdav-client.js';

export interface CalendarInfo {
  id: string;
  name: string;
  color?: string;
  components: string[];
  /** The user may add to it (app-generated calendars such as Deck's boards are read-only). */
  writable: boolean;
}

/** Does a parsed DAV:current-user-privilege-set grant adding objects (write, write-content, bind or all)? */
function grantsWriting(privileges: unknown): boolean {
  return /"(write|writeContent|bind|all)"/.test(JSON.stringify(privileges ?? {}));
}

export const calendarsHome = (conn: NextcloudConnection) => `${conn.base}/remote.php/dav/calendars/${encodeURIComponent(conn.caller.username)}/`;
const calendarUrl = (conn: NextcloudConnection, id: string) => `${calendarsHome(conn)}${encodeURIComponent(id)}/`;
const davFetch = (conn: NextcloudConnection) => conn.fetch as unknown as typeof fetch;

export const objectUrl = (conn: NextcloudConnection, objectId: string) => objectUrlIn(calendarsHome(conn), objectId, '.ics', 'personal/abc.ics');

export async function listCalendars(conn: NextcloudConnection): Promise<CalendarInfo[]> {
  const res = await propfind({
    url: calendarsHome(conn),
    props: { 'd:displayname': {}, 'd:resourcetype': {}, 'c:supported-calendar-component-set': {}, 'ca:calendar-color': {}, 'd:current-user-privilege-set': {} },
    depth: '1',
    fetch: davFetch(conn),
  });
  return res
    .filter((r) => r.href && Object.keys(r.props?.resourcetype ?? {}).includes('calendar'))
    .map((r) => {
      const comp = r.props?.supportedCalendarComponentSet?.comp;
      const comps = (Array.isArray(comp) ? comp : comp ? [comp] : [])
        .map((c: { _attributes?: { name?: string } }) => c._attributes?.name ?? '')
        .filter(Boolean);
      const id = collectionIdOf(r.href!);
      const name = r.props?.displayname?._cdata ?? r.props?.displayname;
      return {
        id,
        name: typeof name === 'string' && name ? name : id,
        ...(r.props?.calendarColor ? { color: String(r.props.calendarColor) } : {}),
        components: comps,
        writable: grantsWriting(r.props?.currentUserPrivilegeSet),
      };
    });
}

/**
 * The calendars holding `kind`; `only` narrows to one (an unknown id is a not-found error).
 * `forWriting` leaves out, when no calendar is named, those the user cannot add to.
 */
export async function calendarsFor(conn: NextcloudConnection, kind: CalKind, only?: string, forWriting = false): Promise<CalendarInfo[]> {
  const all = (await listCalendars(conn)).filter((c) => c.components.length === 0 || c.components.includes(kind.toUpperCase()));
  if (!only) return forWriting ? all.filter((c) => c.writable) : all;
  const one = all.find((c) => c.id === only);
  if (!one)
    throw new NextcloudError(
      'not-found',
      `No ${kind === 'vtodo' ? 'task list' : 'calendar'} "${only}"; see ${kind === 'vtodo' ? 'tasks_list' : 'calendar_list_calendars'} for the ids.`,
    );
  return [one];
}

const icalUtc = (iso: string) => new Date(iso).toISOString();

/** Instances of `kind` in the calendars, with recurrences expanded inside the range. */
export async function queryComponents(
  conn: NextcloudConnection,
  calendars: CalendarInfo[],
  kind: CalKind,
  range?: { start: string; end: string },
): Promise<Array<ComponentInfo & { id: string; calendar: string; etag: string }>> {
  const out: Array<ComponentInfo & { id: string; calendar: string; etag: string }> = [];
  for (const cal of calendars) {
    const filters = [
      {
        'comp-filter': {
          _attributes: { name: 'VCALENDAR' },
          'comp-filter': {
            _attributes: { name: kind.toUpperCase() },
            ...(range ? { 'time-range': { _attributes: { start: toCompact(range.start), end: toCompact(range.end) } } } : {}),
          },
        },
      },
    ];
    const objects = await fetchCalendarObjects({
      calendar: { url: calendarUrl(conn, cal.id) },
      ...(range ? { timeRange: { start: icalUtc(range.start), end: icalUtc(range.end) }, expand: true } : {}),
      filters,
      fetch: davFetch(conn),
    });
    for (const o of objects) {
      if (typeof o.data !== 'string') continue;
      for (const info of componentsOf(o.data, kind)) out.push({ id: objectIdOf(o.url), calendar: cal.id, etag: stripQuotes(o.etag), ...info });
    }
  }
  return out;
}

const toCompact = (iso: string) => `${new Date(iso).toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;

export async function getObject(conn: NextcloudConnection, objectId: string): Promise<{ data: string; etag: string }> {
  const res = await conn.fetch(objectUrl(conn, objectId), { method: 'GET', what: objectId, headers: { accept: 'text/calendar' } });
  return { data: await res.text(), etag: stripQuotes(res.headers.get('etag')) };
}

/** Creates a new object in `calendar`; returns its id and ETag. */
export async function createObject(
  conn: NextcloudConnection,
  calendar: string,
  kind: CalKind,
  fields: CalFields,
): Promise<{ id: string; etag: string; info: ComponentInfo }> {
  const uid = randomUUID();
  const data = buildObject(kind, uid, fields);
  const res = await createCalendarObject({ calendar: { url: calendarUrl(conn, calendar) }, iCalString: data, filename: `${uid}.ics`, fetch: davFetch(conn) });
  await res.body?.cancel();
  return { id: `${calendar}/${uid}.ics`, etag: stripQuotes(res.headers.get('etag')), info: componentsOf(data, kind)[0]! };
}

/** Changes only `fields`, with If-Match on the given ETag (or the one just read). */
export async function changeObject(
  conn: NextcloudConnection,
  objectId: string,
  kind: CalKind,
  fields: CalFields,
  etag?: string,
): Promise<{ etag: string; info: ComponentInfo }> {
  const current = await getObject(conn, objectId);
  const updated = updateObject(current.data, kind, fields);
  const res = await withCurrentEtag(
    () =>
      updateCalendarObject({
        calendarObject: { url: objectUrl(conn, objectId), data: updated.data, etag: quoteEtag(etag ?? current.etag) },
        fetch: davFetch(conn),
      }),
    async () => (await getObject(conn, objectId)).etag,
  );
  await res.body?.cancel();
  return { etag: stripQuotes(res.headers.get('etag')), info: updated.info };
}

export async function removeObject(conn: NextcloudConnection, objectId: string, etag?: string): Promise<void> {
  const res = await withCurrentEtag(
    () => deleteCalendarObject({ calendarObject: { url: objectUrl(conn, objectId), etag: etag ? quoteEtag(etag) : undefined }, fetch: davFetch(conn) }),
    async () => (await getObject(conn, objectId)).etag,
  );
  await res.body?.cancel();
}

/** Creates a calendar for `kind` (used when a user has no task list yet). */
export async function makeCalendarFor(conn: NextcloudConnection, id: string, name: string, kind: CalKind): Promise<void> {
  await makeCalendar({
    url: calendarUrl(conn, id),
    props: { 'd:displayname': name, 'c:supported-calendar-component-set': { 'c:comp': { _attributes: { name: kind.toUpperCase() } } } },
    fetch: davFetch(conn),
  });
}

/** The REPORT free-busy-query answer of one calendar (text/calendar with a VFREEBUSY). */
export async function freeBusy(conn: NextcloudConnection, calendar: string, start: string, end: string): Promise<string> {
  const body = `<?xml version="1.0" encoding="utf-8"?><c:free-busy-query xmlns:c="urn:ietf:params:xml:ns:caldav"><c:time-range start="${toCompact(start)}" end="${toCompact(end)}"/></c:free-busy-query>`;
  const res = await conn.fetch(calendarUrl(conn, calendar), {
    method: 'REPORT',
    body,
    what: `calendar ${calendar}`,
    headers: { depth: '1', 'content-type': 'application/xml; charset=utf-8' },
  });
  return res.text();
}
