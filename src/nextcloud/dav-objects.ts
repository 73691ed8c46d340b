// Naming of CalDAV/CardDAV objects in the tools: "<collection>/<file>" ids, their URLs under the
// user's home collection, and ETags without quotes.
import { NextcloudError } from './errors.js';

/** The URL of object `id` ("<collection>/<file><ext>") under `home` (ending in "/"). */
export function objectUrlIn(home: string, id: string, ext: '.ics' | '.vcf', example: string): string {
  const m = /^([^/]{1,200})\/([^/]{1,255})$/.exec(id);
  if (!m || !m[2]!.endsWith(ext)) throw new NextcloudError('rejected', `"${id}" is not an id from this toolset; ids look like "${example}".`);
  return `${home}${encodeURIComponent(m[1]!)}/${encodeURIComponent(m[2]!)}`;
}

/** "<collection>/<file>" from an object's URL. */
export function objectIdOf(url: string): string {
  const parts = new URL(url).pathname.split('/').filter(Boolean);
  return `${decodeURIComponent(parts.at(-2)!)}/${decodeURIComponent(parts.at(-1)!)}`;
}

export const stripQuotes = (etag: string | null | undefined) => (etag ?? '').replace(/"/g, '');

/** The collection id of the entry whose href ends in "/<id>/". */
export const collectionIdOf = (href: string) => decodeURIComponent(href.replace(/\/$/, '').split('/').pop()!);
