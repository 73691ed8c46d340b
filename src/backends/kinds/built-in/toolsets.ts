// The built-in toolsets this build of Postern has, by name. A toolset is added here and its
// settings schema in schema.ts (TOOLSET_SETTINGS); see docs/architecture.md, "Add a built-in toolset".
import { type NextcloudToolsetDeps, nextcloudToolset } from '../../../nextcloud/toolset.js';
import type { BuiltInToolset } from './toolset.js';

/** What the toolsets need from the rest of Postern (the composition root supplies it). */
export type ToolsetDeps = NextcloudToolsetDeps;

export function builtInToolsets(deps: ToolsetDeps = {}): readonly BuiltInToolset[] {
  return [nextcloudToolset(deps) as BuiltInToolset];
}
