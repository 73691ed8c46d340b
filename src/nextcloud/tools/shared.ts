// Zod pieces several tool families share: a file path argument, a file entry, an ETag argument,
// and the simple "done" output.
import { z } from 'zod';

export const pathInput = (what = 'The file or folder path inside the user\'s files, e.g. "/Documents/report.md".') =>
  z.string().min(1).max(4096).describe(what);

export const etagInput = z
  .string()
  .max(200)
  .optional()
  .describe('The ETag from when you read it. The change is refused if the item changed since, so nothing is overwritten silently.');

export const fileEntry = z.object({
  path: z.string(),
  name: z.string(),
  type: z.enum(['file', 'folder']),
  size: z.number().describe('Bytes (for a folder: its whole content).'),
  modified: z.string().describe('ISO 8601'),
  etag: z.string(),
  mimeType: z.string().optional(),
  fileId: z.string().optional(),
  favorite: z.boolean().optional(),
});

export const done = z.object({ ok: z.literal(true), message: z.string() });
export const doneWith = (message: string) => ({ ok: true as const, message });

/** An ISO 8601 date-time argument. */
export const isoDateTime = (what: string) =>
  z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 date-time such as 2026-05-01T09:00:00Z')
    .describe(what);
