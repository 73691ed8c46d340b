// The layering of src/ (docs/architecture.md), checked by `npm run lint:deps` in CI: each part
// imports only itself and the parts listed for it, which sit below it; no import cycles at all.
// A request flows edge → guard → mcp → backends; oauth and external sit beside guard as the two
// ways tokens are issued or trusted, identity below oauth; store, config and the shared pieces
// (protocol, audit, pages, net, telemetry) are below everything. observability hooks telemetry's
// instruments into the built parts from above them; doctor checks a deployment from outside.

/** Part → the parts it may import (besides itself, src/log.ts and src/version.ts). */
const MAY_IMPORT = {
  /** The composition root (src/postern.ts): every part, each of which builds itself. */
  postern: ['admin', 'observability', 'edge', 'oauth', 'external', 'guard', 'identity', 'mcp', 'backends', 'audit', 'pages', 'protocol', 'store', 'config', 'net', 'telemetry'],
  cli: ['postern', 'admin', 'doctor', 'observability', 'edge', 'oauth', 'external', 'guard', 'identity', 'mcp', 'backends', 'nextcloud', 'audit', 'pages', 'protocol', 'store', 'config', 'net', 'telemetry'],
  /** `postern doctor`: checks any MCP deployment over HTTP, as an outside client; none of Postern's parts. */
  doctor: ['net'],
  /** Metrics, traces and the access log hooked into the built parts (wrappers; the parts stay unaware). */
  observability: ['guard', 'backends', 'audit', 'store', 'config', 'net', 'telemetry'],
  /** The admin console at /admin: pages over the authorization server, identity, backends, policy, audit and store. */
  admin: ['oauth', 'identity', 'guard', 'mcp', 'backends', 'audit', 'pages', 'protocol', 'store', 'config', 'net'],
  edge: ['guard', 'mcp', 'backends', 'audit', 'pages', 'protocol', 'store', 'config', 'net'],
  oauth: ['identity', 'guard', 'audit', 'pages', 'protocol', 'store', 'config', 'net'],
  external: ['guard', 'identity', 'protocol', 'store', 'config', 'net'],
  guard: ['mcp', 'protocol', 'store', 'config', 'net'],
  mcp: ['backends', 'audit', 'protocol', 'config', 'net', 'telemetry'],
  backends: ['nextcloud', 'protocol', 'config', 'net', 'telemetry'],
  /** Built-in toolsets (src/nextcloud/, served by the built-in backend kind, listed in backends/kinds/built-in/). */
  nextcloud: ['backends', 'identity', 'protocol', 'config', 'net'],
  identity: ['audit', 'pages', 'protocol', 'store', 'config', 'net'],
  audit: ['store'],
  pages: [],
  protocol: [],
  store: ['config'],
  config: ['net'],
  net: [],
  /** The instruments: Prometheus metrics, OpenTelemetry traces and their config schema (telemetry/schema.ts). */
  telemetry: [],
};

/** A part's path: its folder, or for the composition root its file and the parts it loads after the backends start. */
const part = (name) => (name === 'postern' ? 'postern(-parts)?\\.ts$' : `${name}/`);

/**
 * The plug-ins' own config schemas (an identity source's, a backend kind's, a toolset's): config/schema.ts
 * assembles the configuration from them, so they import nothing from src/ but config/fields.ts.
 */
const PLUGIN_SCHEMA = '^src/(?!config/).+/schema\\.ts$';

const layering = Object.entries(MAY_IMPORT).map(([from, allowed]) => ({
  name: `layer-${from}`,
  comment: `src/${from}/ imports only ${allowed.length ? allowed.join(', ') : 'itself'} (docs/architecture.md, "Layers")`,
  severity: 'error',
  from: { path: `^src/${part(from)}` },
  to: {
    path: '^src/',
    pathNot: [`^src/(${[from, ...allowed].map(part).join('|')}|log\\.ts$|version\\.ts$)`, ...(from === 'config' ? [PLUGIN_SCHEMA] : [])],
  },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle ties parts together so that neither can change or be tested alone.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'composition-root',
      comment: 'src/postern.ts assembles the parts; only the CLI starts it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/postern\\.ts$' },
    },
    {
      name: 'unlayered-part',
      comment: 'Every folder under src/ has its place in MAY_IMPORT in .dependency-cruiser.cjs.',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(${Object.keys(MAY_IMPORT).map(part).join('|')}|log\\.ts$|version\\.ts$)` },
      to: { path: '^src/' },
    },
    {
      name: 'plugin-schema-leaf',
      comment: "A plug-in's config schema imports only zod and config/fields.ts (config/schema.ts imports it).",
      severity: 'error',
      from: { path: PLUGIN_SCHEMA },
      to: { path: '^src/', pathNot: ['^src/config/fields\\.ts$', PLUGIN_SCHEMA] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    ...layering,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
