// Effective configuration: what this process runs with (file, environment and defaults merged),
// as YAML, with its secrets redacted (redact.ts). Read only: the configuration file is changed on disk.
import { stringify } from 'yaml';
import { esc } from '../pages/html.js';
import type { AdminDeps, AdminPage } from './context.js';
import { redactConfig } from './redact.js';

async function view(deps: AdminDeps): Promise<string> {
  return `<p class="muted">The configuration this process runs with: the file, the environment and the defaults. Secrets are shown as [redacted]. Change it in the configuration file and restart.</p>
<pre class="config">${esc(stringify(redactConfig(deps.config), { lineWidth: 0 }))}</pre>`;
}

export const configPage: AdminPage = { path: 'config', title: 'Effective configuration', view };
