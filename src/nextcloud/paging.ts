// Opaque cursors for paged listings: a cursor carries the offset of the next page (and, where a
// server pages for us, its own cursor). A cursor that does not parse is a clear error.
import { z } from 'zod';
import { NextcloudError } from './errors.js';

export const cursorInput = z.string().max(512).optional().describe('The nextCursor of the previous page; omit for the first page.');
export const limitInput = (max: number, dflt: number) =>
  z.number().int().min(1).max(max).default(dflt).describe(`How many items per page (1-${max}, default ${dflt}).`);

interface CursorState {
  o: number;
  s?: string;
}

export function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify(state)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): CursorState {
  if (!cursor) return { o: 0 };
  try {
    const state = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorState;
    if (Number.isInteger(state.o) && state.o >= 0) return state;
  } catch {
    /* falls through */
  }
  throw new NextcloudError('rejected', 'The cursor is not valid; list again without a cursor.');
}

/** One page of an in-memory list. */
export function pageOf<T>(items: T[], cursor: string | undefined, limit: number): { items: T[]; nextCursor?: string } {
  const { o } = decodeCursor(cursor);
  const slice = items.slice(o, o + limit);
  return { items: slice, ...(o + limit < items.length ? { nextCursor: encodeCursor({ o: o + limit }) } : {}) };
}
