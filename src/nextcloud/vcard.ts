// vCards with ical.js: reading a contact into a plain object, building a new vCard 3.0/4.0, and
// changing only the given fields (photos, addresses, groups and unknown properties are kept).
import ICAL from 'ical.js';
import { NextcloudError } from './errors.js';

export interface ContactFields {
  fullName?: string;
  emails?: string[];
  phones?: string[];
  organization?: string;
  title?: string;
  note?: string;
  birthday?: string;
}

function parse(data: string): ICAL.Component {
  try {
    return new ICAL.Component(ICAL.parse(data) as unknown[]);
  } catch (err) {
    throw new NextcloudError('rejected', `Nextcloud returned a vCard that does not parse (${(err as Error).message}).`);
  }
}

const values = (c: ICAL.Component, name: string) =>
  c
    .getAllProperties(name)
    .map((p) => String(p.getFirstValue() ?? ''))
    .filter(Boolean);
const one = (c: ICAL.Component, name: string) => values(c, name)[0];

export function describeContact(data: string) {
  const c = parse(data);
  const org = c.getFirstProperty('org')?.getValues().flat().map(String).filter(Boolean).join(', ');
  const out = {
    uid: one(c, 'uid') ?? '',
    fullName: one(c, 'fn') ?? '',
    emails: values(c, 'email'),
    phones: values(c, 'tel'),
    organization: org || undefined,
    title: one(c, 'title'),
    note: one(c, 'note'),
    birthday: one(c, 'bday'),
    addresses: c
      .getAllProperties('adr')
      .map((p) => p.getValues().flat().map(String).filter(Boolean).join(', '))
      .filter(Boolean),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as typeof out;
}

export type ContactInfo = ReturnType<typeof describeContact>;

function apply(c: ICAL.Component, f: ContactFields): void {
  const setText = (name: string, v: string | undefined) => {
    if (v === undefined) return;
    c.removeAllProperties(name);
    if (v !== '') c.addPropertyWithValue(name, v);
  };
  const setList = (name: string, list: string[] | undefined, type: string) => {
    if (list === undefined) return;
    c.removeAllProperties(name);
    for (const v of list) c.addProperty(new ICAL.Property([name, { type }, 'text', v]));
  };
  if (f.fullName !== undefined) {
    setText('fn', f.fullName);
    if (!c.hasProperty('n')) {
      const parts = f.fullName.trim().split(/\s+/);
      const last = parts.length > 1 ? parts.pop()! : '';
      c.addProperty(new ICAL.Property(['n', {}, 'text', [last, parts.join(' '), '', '', '']]));
    }
  }
  setList('email', f.emails, 'internet');
  setList('tel', f.phones, 'voice');
  setText('org', f.organization);
  setText('title', f.title);
  setText('note', f.note);
  setText('bday', f.birthday);
  c.updatePropertyWithValue('rev', `${ICAL.Time.now().toString().replace(/[-:]/g, '').replace(/\.\d+/, '')}Z`);
}

export function buildContact(uid: string, fields: ContactFields): string {
  const c = new ICAL.Component('vcard');
  c.addPropertyWithValue('version', '3.0');
  c.addPropertyWithValue('prodid', '-//Postern//Nextcloud toolset//EN');
  c.addPropertyWithValue('uid', uid);
  apply(c, fields);
  return c.toString();
}

export function updateContact(data: string, fields: ContactFields): string {
  const c = parse(data);
  apply(c, fields);
  return c.toString();
}
