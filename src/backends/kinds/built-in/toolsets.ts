// The built-in toolsets this build of Postern has, by name. A toolset is added here and its
// settings schema in schema.ts (TOOLSET_SETTINGS); see docs/architecture.md, "Add a built-in toolset".
import type { BuiltInToolset } from './toolset.js';

export const TOOLSETS: readonly BuiltInToolset[] = [];
