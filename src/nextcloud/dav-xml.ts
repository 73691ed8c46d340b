// Raw WebDAV XML where no library call fits (SEARCH, trash bin, versions, favorites): building
// request bodies with escaped values, and reading multistatus answers with fast-xml-parser.
import { XMLParser } from 'fast-xml-parser';

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  isArray: (name) => name === 'response' || name === 'propstat',
});

export interface DavEntry {
  href: string;
  props: Record<string, unknown>;
}

/** Escapes text for an XML element or attribute. */
export function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

/** The responses of a 207 multistatus, with only the properties found (200 propstat). */
export function parseMultistatus(xml: string): DavEntry[] {
  const doc = parser.parse(xml) as {
    multistatus?: { response?: Array<{ href: string; propstat?: Array<{ prop?: Record<string, unknown>; status?: string }> }> };
  };
  return (doc.multistatus?.response ?? []).map((r) => {
    const props: Record<string, unknown> = {};
    for (const ps of r.propstat ?? []) if (!ps.status || / 200 /.test(ps.status)) Object.assign(props, ps.prop ?? {});
    return { href: decodeURIComponent(String(r.href)), props };
  });
}

/** A property as text ('' when missing or empty). */
export function propText(props: Record<string, unknown>, name: string): string {
  const v = props[name];
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return '#text' in (v as object) ? String((v as { '#text': unknown })['#text']) : '';
  return String(v);
}

/** Whether <resourcetype> holds <collection/>. */
export function isCollection(props: Record<string, unknown>): boolean {
  const rt = props.resourcetype;
  return typeof rt === 'object' && rt !== null && 'collection' in rt;
}

export const DAV_NAMESPACES = 'xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns"';
