// Backends: each backend's state, protocol era, tool count and last error, with a restart; and
// every listed tool with the policy's verdict for each role the rules name (for any client: a rule
// limited to some clients may still decide otherwise for those).
import { SEPARATOR } from '../backends/registry.js';
import { esc } from '../pages/html.js';
import { AdminError, type AdminDeps, type AdminPage, field, type Notice } from './context.js';
import { actionButton, ident, table } from './layout.js';

const PATH = 'backends';
/** The most tools the verdict table shows. */
const TOOL_LIMIT = 2000;
/** A role no rule names: the column for callers with none of the named roles. */
const NO_ROLE = '';

function era(protocol: string | undefined, modern: boolean | undefined): string {
  if (!protocol) return '—';
  return `${protocol} (${modern ? '2026 era, stateless' : '2025 era, sessions'})`;
}

function rolesNamed(deps: AdminDeps): string[] {
  return [...new Set(deps.config.policy.rules.flatMap((r) => r.roles ?? []))].sort();
}

async function view(deps: AdminDeps, req: { csrf: string }): Promise<string> {
  const { registry, policy } = deps;
  const status = registry
    .status()
    .map((b) => [
      `<strong>${esc(b.name)}</strong>`,
      esc(b.kind),
      `<span class="state-${esc(b.state)}">${esc(b.state)}</span>`,
      esc(era(b.protocol, registry.backends.get(b.name)?.modern)),
      String(b.tools),
      b.error ? esc(b.error) : '<span class="muted">—</span>',
      actionButton(PATH, 'restart', req.csrf, { backend: b.name }, 'Restart'),
    ]);
  const roles = [...rolesNamed(deps), NO_ROLE];
  const tools = registry.aggregate.tools.slice(0, TOOL_LIMIT);
  const verdicts = tools.map((t) => {
    const names = registry.policyNames('tool', t.name);
    const cells = roles.map((role) =>
      policy.allows({ roles: role ? [role] : [], clientId: '' }, names.qualified, names.alias)
        ? '<span class="allow">allow</span>'
        : '<span class="deny">deny</span>',
    );
    return [ident(t.name), ...cells];
  });
  const headers = ['Tool', ...roles.map((r) => (r === NO_ROLE ? 'no named role' : `role ${r}`))];
  return `${table(['Backend', 'Kind', 'State', 'Protocol era', 'Tools', 'Last error', ''], status, 'No backends configured.')}
<h2>Tools and the policy's verdict per role</h2>
<p class="muted">${policy.hasRules ? `Rules: ${deps.config.policy.rules.length}. A caller with several roles gets the first matching rule's verdict.` : 'No policy rules: every signed-in caller may use every tool.'} Tool names are <code>&lt;backend&gt;${esc(SEPARATOR)}&lt;tool&gt;</code>.</p>
${table(headers, verdicts, 'No tools listed (no backend is ready).')}
${registry.aggregate.tools.length > TOOL_LIMIT ? `<p class="muted">Shows the first ${TOOL_LIMIT} tools.</p>` : ''}`;
}

export const backendsPage: AdminPage = {
  path: PATH,
  title: 'Backends',
  view,
  actions: {
    async restart({ registry, audit }, admin, form): Promise<Notice> {
      const name = field(form, 'backend', 100);
      if (!(await registry.restart(name))) throw new AdminError(404, `no backend "${name}"`);
      const state = registry.status().find((b) => b.name === name);
      audit.admin('backend.restart', admin, `${name} state=${state?.state}`);
      return { text: `Backend ${name} restarted: ${state?.state}${state?.error ? ` (${state.error})` : ''}.` };
    },
  },
};
