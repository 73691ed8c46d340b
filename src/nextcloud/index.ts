// The built-in Nextcloud toolset's public face: the tool definitions (nextcloudTools), the
// capabilities probe, the files resource and registration on an SDK McpServer.
import { bindTool, type AnyToolSpec } from './define.js';
import { calendarTools } from './tools/calendar.js';
import { contactsTools } from './tools/contacts.js';
import { deckTools } from './tools/deck.js';
import { filesDavTools } from './tools/files-dav.js';
import { filesTools } from './tools/files.js';
import { notesTools } from './tools/notes.js';
import { searchTools } from './tools/search.js';
import { sharingTools } from './tools/sharing.js';
import { tablesTools } from './tools/tables.js';
import { talkTools } from './tools/talk.js';
import { tasksTools } from './tools/tasks.js';
import { NEXTCLOUD_APPS, type NextcloudTool, type NextcloudToolOptions } from './types.js';

export type { NextcloudApp, NextcloudCaller, NextcloudTool, NextcloudToolOptions } from './types.js';
export { NEXTCLOUD_APPS, DEFAULT_MAX_READ_BYTES, DEFAULT_TIMEOUT_MS } from './types.js';
export { NextcloudError, toolError } from './errors.js';
export { closeNextcloudPools } from './pool.js';
export { probeCapabilities, availableTools, forgetCapabilities, APP_CAPABILITY } from './capabilities.js';
export { registerNextcloud, FILES_RESOURCE_TEMPLATE, type CallerResolver } from './register.js';

const ALL_SPECS: AnyToolSpec[] = [
  ...filesTools,
  ...filesDavTools,
  ...notesTools,
  ...calendarTools,
  ...tasksTools,
  ...contactsTools,
  ...deckTools,
  ...sharingTools,
  ...talkTools,
  ...searchTools,
  ...tablesTools,
];

/** The tool definitions of the chosen families (all by default), bound to the options. */
export function nextcloudTools(options: NextcloudToolOptions = {}): NextcloudTool[] {
  const apps = new Set(options.apps ?? NEXTCLOUD_APPS);
  return ALL_SPECS.filter((s) => apps.has(s.app)).map((s) => bindTool(s, options));
}
