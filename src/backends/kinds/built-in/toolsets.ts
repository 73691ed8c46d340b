// The built-in toolsets this build of Postern has, by name. A toolset is added here and its
// settings schema in schema.ts (TOOLSET_SETTINGS); see docs/architecture.md, "Add a built-in toolset".
// A toolset's modules (and their dependencies: WebDAV, CalDAV, XML) load with its first server,
// not at start: most configurations use none.
import { NEXTCLOUD_TOOLSET, nextcloudSettingsSchema } from '../../../nextcloud/schema.js';
import type { NextcloudToolsetDeps } from '../../../nextcloud/toolset.js';
import type { BuiltInToolset } from './toolset.js';

/** What the toolsets need from the rest of Postern (the composition root supplies it). */
export type ToolsetDeps = NextcloudToolsetDeps;

export function builtInToolsets(deps: ToolsetDeps = {}): readonly BuiltInToolset[] {
  return [
    onDemand(NEXTCLOUD_TOOLSET, nextcloudSettingsSchema, async () => (await import('../../../nextcloud/toolset.js')).nextcloudToolset(deps) as BuiltInToolset),
  ];
}

/** A toolset named and configured as `load()`'s, whose modules load when its first server is made. */
function onDemand(name: string, settings: BuiltInToolset['settings'], load: () => Promise<BuiltInToolset>): BuiltInToolset {
  let toolset: Promise<BuiltInToolset> | undefined;
  return {
    name,
    settings,
    createServer: async (ctx) => (await (toolset ??= load())).createServer(ctx),
  };
}
