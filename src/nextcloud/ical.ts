// iCalendar with ical.js: reading VEVENT/VTODO components into plain objects, building new ones,
// and changing only the given fields of an existing object, so everything else (alarms,
// attendees, unknown X- properties, other components) survives the round trip.
import ICAL from 'ical.js';
import { NextcloudError } from './errors.js';

export type CalKind = 'vevent' | 'vtodo';

export interface CalFields {
  summary?: string;
  description?: string;
  location?: string;
  /** ISO 8601 date-time, or YYYY-MM-DD for an all-day date. */
  start?: string;
  end?: string;
  due?: string;
  rrule?: string;
  status?: string;
  priority?: number;
  percentComplete?: number;
  completed?: string;
  categories?: string[];
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

export function toIcalTime(value: string): ICAL.Time {
  if (DATE_ONLY.test(value)) return ICAL.Time.fromDateString(value);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new NextcloudError('rejected', `"${value}" is not an ISO 8601 date or date-time.`);
  return ICAL.Time.fromJSDate(new Date(ms), true);
}

function timeText(t: ICAL.Time | undefined): string | undefined {
  if (!t) return undefined;
  return t.isDate ? t.toString() : t.toJSDate().toISOString();
}

function parse(data: string): ICAL.Component {
  try {
    const root = new ICAL.Component(ICAL.parse(data) as unknown[]);
    for (const tz of root.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(tz);
    return root;
  } catch (err) {
    throw new NextcloudError('rejected', `Nextcloud returned calendar data that does not parse (${(err as Error).message}).`);
  }
}

const text = (c: ICAL.Component, name: string) => {
  const v = c.getFirstPropertyValue(name);
  return v === null || v === undefined ? undefined : String(v);
};

/** A VEVENT or VTODO as a plain object. */
export function describeComponent(c: ICAL.Component) {
  const start = c.getFirstPropertyValue('dtstart') as ICAL.Time | null;
  const end = (c.getFirstPropertyValue('dtend') ?? undefined) as ICAL.Time | undefined;
  const duration = c.getFirstPropertyValue('duration') as ICAL.Duration | null;
  const endTime = end ?? (start && duration ? start.clone() : undefined);
  if (!end && endTime && duration) endTime.addDuration(duration);
  const due = c.getFirstPropertyValue('due') as ICAL.Time | null;
  const rrule = c.getFirstPropertyValue('rrule') as ICAL.Recur | null;
  const recurrenceId = c.getFirstPropertyValue('recurrence-id') as ICAL.Time | null;
  const categories = c.getAllProperties('categories').flatMap((p) => p.getValues().map(String));
  const out = {
    uid: text(c, 'uid') ?? '',
    summary: text(c, 'summary') ?? '',
    description: text(c, 'description'),
    location: text(c, 'location'),
    start: timeText(start ?? undefined),
    end: timeText(endTime),
    allDay: start?.isDate === true,
    timezone: start?.zone && start.zone.tzid !== 'UTC' && start.zone.tzid !== 'floating' ? start.zone.tzid : undefined,
    due: timeText(due ?? undefined),
    recurrence: rrule ? rrule.toString() : undefined,
    recurrenceId: timeText(recurrenceId ?? undefined),
    status: text(c, 'status'),
    priority: c.hasProperty('priority') ? Number(c.getFirstPropertyValue('priority')) : undefined,
    percentComplete: c.hasProperty('percent-complete') ? Number(c.getFirstPropertyValue('percent-complete')) : undefined,
    completed: timeText((c.getFirstPropertyValue('completed') as ICAL.Time | null) ?? undefined),
    categories: categories.length ? categories : undefined,
    alarms: c.getAllSubcomponents('valarm').length,
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as typeof out;
}

export type ComponentInfo = ReturnType<typeof describeComponent>;

/** Every VEVENT/VTODO of an object (several for an expanded recurrence). */
export function componentsOf(data: string, kind: CalKind): ComponentInfo[] {
  return parse(data).getAllSubcomponents(kind).map(describeComponent);
}

function setTime(c: ICAL.Component, name: string, value: string): void {
  c.removeAllProperties(name);
  c.addPropertyWithValue(name, toIcalTime(value));
}

function applyFields(c: ICAL.Component, f: CalFields): void {
  const setText = (name: string, v: string | undefined) => {
    if (v === undefined) return;
    if (v === '') c.removeAllProperties(name);
    else c.updatePropertyWithValue(name, v);
  };
  setText('summary', f.summary);
  setText('description', f.description);
  setText('location', f.location);
  setText('status', f.status);
  if (f.start !== undefined) setTime(c, 'dtstart', f.start);
  if (f.end !== undefined) {
    c.removeAllProperties('duration');
    setTime(c, 'dtend', f.end);
  }
  if (f.due !== undefined) setTime(c, 'due', f.due);
  if (f.completed === '') c.removeAllProperties('completed');
  else if (f.completed !== undefined) setTime(c, 'completed', f.completed);
  if (f.priority !== undefined) c.updatePropertyWithValue('priority', f.priority);
  if (f.percentComplete !== undefined) c.updatePropertyWithValue('percent-complete', f.percentComplete);
  if (f.rrule !== undefined) {
    c.removeAllProperties('rrule');
    if (f.rrule) c.addPropertyWithValue('rrule', ICAL.Recur.fromString(f.rrule.replace(/^RRULE:/i, '')));
  }
  if (f.categories !== undefined) {
    c.removeAllProperties('categories');
    if (f.categories.length) c.addProperty(new ICAL.Property('categories', c)).setValues(f.categories);
  }
  const now = ICAL.Time.now();
  c.updatePropertyWithValue('dtstamp', now);
  c.updatePropertyWithValue('last-modified', now);
}

/** A new VCALENDAR holding one VEVENT/VTODO. */
export function buildObject(kind: CalKind, uid: string, fields: CalFields): string {
  const cal = new ICAL.Component(['vcalendar', [], []]);
  cal.updatePropertyWithValue('prodid', '-//Postern//Nextcloud toolset//EN');
  cal.updatePropertyWithValue('version', '2.0');
  const c = new ICAL.Component(kind);
  c.updatePropertyWithValue('uid', uid);
  c.updatePropertyWithValue('created', ICAL.Time.now());
  applyFields(c, fields);
  cal.addSubcomponent(c);
  return cal.toString();
}

/** The object with only `fields` changed on its main component (the one without RECURRENCE-ID). */
export function updateObject(data: string, kind: CalKind, fields: CalFields): { data: string; info: ComponentInfo } {
  const root = parse(data);
  const main = root.getAllSubcomponents(kind).find((c) => !c.hasProperty('recurrence-id'));
  if (!main) throw new NextcloudError('rejected', `This calendar object holds no ${kind.toUpperCase()} to change.`);
  applyFields(main, fields);
  const seq = Number(main.getFirstPropertyValue('sequence') ?? 0);
  main.updatePropertyWithValue('sequence', seq + 1);
  return { data: root.toString(), info: describeComponent(main) };
}

/** Busy periods of a VFREEBUSY answer. */
export function busyPeriods(data: string): Array<{ start: string; end: string; type: string }> {
  const out: Array<{ start: string; end: string; type: string }> = [];
  for (const fb of parse(data).getAllSubcomponents('vfreebusy')) {
    for (const prop of fb.getAllProperties('freebusy')) {
      const type = String(prop.getParameter('fbtype') ?? 'BUSY');
      for (const p of prop.getValues() as ICAL.Period[]) {
        out.push({ start: p.start.toJSDate().toISOString(), end: p.getEnd().toJSDate().toISOString(), type });
      }
    }
  }
  return out.sort((a, b) => a.start.localeCompare(b.start));
}
