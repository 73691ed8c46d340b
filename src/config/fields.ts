// Value rules several parts of the configuration share, also used by the plug-ins' own config
// schemas (identity sources, backend kinds), which import nothing else from config/.
import { z } from 'zod';

/** What every tool and prompt name Postern publishes matches (the model APIs' rule for tool names). */
export const PUBLISHED_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** A name that prefixes others (a backend, a static token, an upstream): letters, digits, "-", "_", no "__". */
export const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'use letters, digits, "-" and "_" only')
  .refine((s) => !s.includes('__'), 'must not contain "__" (it separates backend and tool names)');
