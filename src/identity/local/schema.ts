// identity.local: users kept in Postern's store (users.ts).
import { z } from 'zod';
import { name } from '../../config/fields.js';

export const localSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Created with a random password (printed once) when the user table is empty. */
    initialUser: name.default('admin'),
  })
  .strict();
