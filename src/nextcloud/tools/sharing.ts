// Sharing (OCS files_sharing API): list shares, share with a user or group or as a public link
// (password, expiry, permissions), change and delete shares.
import { z } from 'zod';
import { normalisePath } from '../connection.js';
import { CHANGES, CREATES, defineTool, DELETES, READ_ONLY, type AnyToolSpec } from '../define.js';
import { NextcloudError } from '../errors.js';
import { done, doneWith, pathInput } from './shared.js';

const API = '/apps/files_sharing/api/v1/shares';
const TYPES = { user: 0, group: 1, link: 3 } as const;
const TYPE_NAMES: Record<number, string> = { 0: 'user', 1: 'group', 3: 'link', 4: 'email', 6: 'federated', 7: 'team', 10: 'talk' };

interface OcsShare {
  id: string | number;
  share_type: number;
  path: string;
  permissions: number;
  share_with?: string | null;
  share_with_displayname?: string | null;
  url?: string;
  expiration?: string | null;
  item_type: string;
  note?: string;
  label?: string;
}

const share = z.object({
  id: z.string(),
  type: z.string(),
  path: z.string(),
  itemType: z.string(),
  permissions: z.number().describe('Bit mask: 1 read, 2 update, 4 create, 8 delete, 16 share'),
  shareWith: z.string().optional(),
  shareWithName: z.string().optional(),
  url: z.string().optional(),
  expiration: z.string().optional(),
  note: z.string().optional(),
});

const shape = (s: OcsShare): z.input<typeof share> => ({
  id: String(s.id),
  type: TYPE_NAMES[s.share_type] ?? String(s.share_type),
  path: s.path,
  itemType: s.item_type,
  permissions: s.permissions,
  ...(s.share_with ? { shareWith: s.share_with } : {}),
  ...(s.share_with_displayname ? { shareWithName: s.share_with_displayname } : {}),
  ...(s.url ? { url: s.url } : {}),
  ...(s.expiration ? { expiration: s.expiration.slice(0, 10) } : {}),
  ...(s.note ? { note: s.note } : {}),
});

const shareOptions = {
  permissions: z.number().int().min(1).max(31).optional().describe('Bit mask: 1 read, 2 update, 4 create, 8 delete, 16 share (e.g. 1 read-only, 15 edit).'),
  password: z.string().max(200).optional().describe('For public links: a password to open the link.'),
  expireDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional()
    .describe('YYYY-MM-DD after which the share ends.'),
  note: z.string().max(2000).optional().describe('A note shown to the recipient.'),
};
const shareId = z
  .string()
  .regex(/^[\w:-]{1,64}$/)
  .describe('The share id from shares_list.');

export const sharingTools: AnyToolSpec[] = [
  defineTool({
    name: 'shares_list',
    title: 'List shares',
    description: 'List the shares the user made (of one file or folder, or all), or with sharedWithMe true the shares others made with the user.',
    app: 'sharing',
    input: z.object({ path: pathInput('A file or folder; all shares when omitted.').optional(), sharedWithMe: z.boolean().default(false) }),
    output: z.object({ shares: z.array(share) }),
    annotations: READ_ONLY,
    async run({ path, sharedWithMe }, { conn }) {
      const params = { ...(path ? { path: normalisePath(path) } : {}), ...(sharedWithMe ? { shared_with_me: 'true' } : {}) };
      return { shares: (await conn.ocs<OcsShare[]>('GET', API, params, path ? normalisePath(path) : 'the shares')).map(shape) };
    },
  }),
  defineTool({
    name: 'shares_create',
    title: 'Share a file or folder',
    description:
      'Share a file or folder with a user, with a group, or as a public link (type "link"; the result has its URL). Optionally with a password (links), an expiry date and permissions.',
    app: 'sharing',
    input: z.object({
      path: pathInput(),
      type: z.enum(['user', 'group', 'link']),
      shareWith: z.string().max(200).optional().describe('The user or group id (not for links).'),
      publicUpload: z.boolean().optional().describe('For links to folders: let visitors upload.'),
      ...shareOptions,
    }),
    output: share,
    annotations: CREATES,
    async run({ path, type, shareWith, publicUpload, ...opts }, { conn }) {
      if (type !== 'link' && !shareWith) throw new NextcloudError('rejected', `Sharing with a ${type} needs shareWith (the ${type} id).`);
      const clean = normalisePath(path);
      const body = {
        path: clean,
        shareType: TYPES[type],
        ...(type !== 'link' ? { shareWith } : {}),
        ...(publicUpload !== undefined ? { publicUpload: String(publicUpload) } : {}),
        ...opts,
      };
      return shape(await conn.ocs<OcsShare>('POST', API, body, clean));
    },
  }),
  defineTool({
    name: 'shares_update',
    title: 'Change a share',
    description: "Change a share's permissions, password, expiry date or note; fields left out stay as they are.",
    app: 'sharing',
    input: z.object({ shareId, ...shareOptions }),
    output: share,
    annotations: CHANGES,
    async run({ shareId: id, ...opts }, { conn }) {
      let result: OcsShare | undefined;
      // The API changes one attribute per request.
      for (const [k, v] of Object.entries(opts)) if (v !== undefined) result = await conn.ocs<OcsShare>('PUT', `${API}/${id}`, { [k]: v }, `share ${id}`);
      if (!result) result = (await conn.ocs<OcsShare[]>('GET', `${API}/${id}`, {}, `share ${id}`))[0]!;
      return shape(result);
    },
  }),
  defineTool({
    name: 'shares_delete',
    title: 'Stop sharing',
    description: 'Stop a share: the user, group or link loses access; the file itself stays.',
    app: 'sharing',
    input: z.object({ shareId }),
    output: done,
    annotations: DELETES,
    async run({ shareId: id }, { conn }) {
      await conn.ocs('DELETE', `${API}/${id}`, {}, `share ${id}`);
      return doneWith(`Deleted share ${id}.`);
    },
  }),
];
