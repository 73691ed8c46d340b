// `postern` command line: serve, check, init, backup/restore, migrate, store copy, doctor, users, clients, keys, tokens, audit.
// Each command's module is loaded only when that command runs: start-up loads no more than it uses.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.js';
import { IdentityError } from '../identity/types.js';
import { UsageError } from './usage-error.js';
import { StoreError } from '../store/index.js';

const USAGE = `Usage: postern <command> [options]

Commands:
  serve                 start the gateway (default)
  check                 validate the configuration, list the tool names Postern changes, and exit
  init SETUP            write a commented configuration: claude-local, nextcloud, trusted-proxy
                        or resource-server (--issuer URL, --upstream URL, --output FILE)
  backup FILE           copy the SQLite store into FILE, also while Postern runs
  restore FILE          put a backup back into the store (stop Postern first)
  migrate               bring the store's schema up to date (replicas also do it as they start)
  store copy            copy a SQLite store into PostgreSQL (--from sqlite:PATH --to postgres://…;
                        --force to copy into a store that holds data)
  user add NAME         create a local user (password generated, or read with --password-stdin)
  user passwd NAME      set a local user's password
  user list             list local users
  client add ID         pre-register a client that cannot register itself (--name, --redirect-uri,
                        --scope, --secret: a secret is made and printed once)
  client list           list pre-registered clients (store and config)
  client remove ID      delete a pre-registered client from the store
  keys rotate           make a new token signing key (old tokens stay valid until they expire)
  token create NAME     make a static bearer token for CI/scripts (printed once; --role R)
  token list            list static tokens
  token revoke NAME     delete a stored static token
  token hash            print the config hash of a token read from standard input
  audit                 the audit trail, newest first (--user SUBJECT, --since 1h, --limit N)
  doctor URL            probe any MCP server's URL as Claude.ai and ChatGPT connect: a ✓/✗ checklist
                        with fixes, exit 1 on any ✗ (--json, --register, --token T, --ca FILE,
                        --timeout S, --skip CHECK: see docs/doctor.md)

Options:
  -c, --config FILE     config file (YAML or JSON); also POSTERN_CONFIG
      --insecure        allow a non-loopback bind without an https issuer
      --password-stdin  read the password from standard input
      --role ROLE       role for "user add" / "token create" (repeatable)
      --name NAME       the name "client add" shows on the consent page
      --redirect-uri U  a redirect URI of "client add" (repeatable)
      --scope SCOPE     a scope "client add" may ask for (repeatable; default: any)
      --secret          "client add": make a client secret (default: a public client)
  -o, --output FILE     where "init" writes (default: standard output)
      --issuer URL      for "init": Postern's public https URL
      --upstream URL    for "init": the Nextcloud URL or the external authorization server
  -h, --help            show this help
`;

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      insecure: { type: 'boolean', default: false },
      'password-stdin': { type: 'boolean', default: false },
      role: { type: 'string', multiple: true },
      name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      scope: { type: 'string', multiple: true },
      secret: { type: 'boolean', default: false },
      user: { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
      register: { type: 'boolean', default: false },
      ca: { type: 'string' },
      token: { type: 'string' },
      timeout: { type: 'string' },
      skip: { type: 'string', multiple: true },
      output: { type: 'string', short: 'o' },
      issuer: { type: 'string' },
      upstream: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [command = 'serve', ...rest] = positionals;
  const config = () => loadConfig({ file: values.config, insecure: values.insecure });
  switch (command) {
    case 'serve':
      return (await import('./serve.js')).runServe(config());
    case 'check':
      return (await import('./check.js')).runCheck(config());
    case 'init':
      return (await import('./init.js')).runInit(rest, { output: values.output, issuer: values.issuer, upstream: values.upstream });
    case 'backup':
      return (await import('./backup.js')).runBackup(config(), rest);
    case 'restore':
      return (await import('./backup.js')).runRestore(config(), rest);
    case 'migrate':
      return (await import('./store.js')).runMigrate(config());
    case 'store':
      return (await import('./store.js')).runStore(rest, { from: values.from, to: values.to, force: values.force });
    case 'user':
      return (await import('./user.js')).runUser(config(), rest, { passwordStdin: values['password-stdin'], roles: values.role });
    case 'token':
      return (await import('./token.js')).runToken(config(), rest, { roles: values.role });
    case 'client':
      return (await import('./client.js')).runClient(config(), rest, {
        name: values.name,
        redirectUris: values['redirect-uri'],
        scopes: values.scope,
        secret: values.secret,
      });
    case 'audit':
      return (await import('./audit.js')).runAudit(config(), { user: values.user, since: values.since, limit: values.limit });
    case 'doctor':
      // Needs no configuration: it probes a URL.
      return (await import('./doctor.js')).runDoctorCommand(rest, {
        json: values.json,
        register: values.register,
        ca: values.ca,
        token: values.token,
        timeout: values.timeout,
        skip: values.skip,
      });
    case 'keys':
      return (await import('./keys.js')).runKeys(config(), rest);
    default:
      process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

export async function run(argv: string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`postern: ${err.message}\n`);
      process.exitCode = 2;
    } else if (err instanceof UsageError || err instanceof IdentityError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`postern: ${(err as Error).message}\n`);
      process.exitCode = 2;
    } else if (err instanceof StoreError) {
      process.stderr.write(`postern: ${err.message}\n`);
      process.exitCode = 1;
    } else if ((err as { code?: string }).code === 'EADDRINUSE') {
      process.stderr.write(`postern: ${(err as Error).message}; set server.port (or POSTERN_PORT) to a free port\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`postern: ${(err as Error).stack ?? err}\n`);
      process.exitCode = 1;
    }
  }
}
