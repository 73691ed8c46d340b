// The commented configurations `postern init` writes, one per set-up, built from shared pieces:
// the server block, the identity and policy that make each set-up, and the backends.

export interface InitOptions {
  /** Postern's public https URL (server.issuer). */
  issuer: string;
  /** The other service the set-up leans on: the Nextcloud URL or the external issuer. */
  upstream?: string;
}

interface Setup {
  summary: string;
  /** The upstream URL used when --upstream is not given, if the set-up has one. */
  upstream?: string;
  body(o: InitOptions): string;
}

const server = (o: InitOptions, extra = '') => `server:
  host: 127.0.0.1            # keep Postern on loopback; the reverse proxy in front terminates TLS
  port: 8080
  issuer: ${o.issuer}   # the public https URL clients use; the proxy forwards it here
  trustProxy: true           # believe X-Forwarded-For from that proxy (client addresses in logs)
${extra}`;

const backends = `
# Your MCP servers, in the shape of Claude Desktop's claude_desktop_config.json. Until you list
# one, Postern serves its demo server "everything" so that you can try the connection.
# mcpServers:
#   memory:
#     command: npx
#     args: ["-y", "@modelcontextprotocol/server-memory"]
#   tickets:
#     url: https://tickets.internal.example/mcp
#     headers: { Authorization: "Bearer …" }

# Data (SQLite database, instance secret) lives in dataDir, relative to this file unless absolute.
# The systemd unit and the container image set it with POSTERN_DATA_DIR instead.
# dataDir: ./data

log:
  level: info
`;

const adminOnlyPolicy = (who: string) => `
# Who may use which tools: the first matching rule decides; anything no rule allows is denied.
policy:
  rules:
    - { roles: [admin], tools: ["*"], policy: allow }      # ${who}
    # - { roles: [dev], tools: ["memory__*", "!*__delete_*"], policy: allow }
`;

export const setups: Record<string, Setup> = {
  'claude-local': {
    summary: 'Claude.ai (and other remote clients) with users kept by Postern',
    body: (o) => `${server(o)}
identity:
  local:
    enabled: true            # users in Postern's store: \`postern user add NAME --role ROLE\`
    initialUser: admin       # created at first start with a password printed once (role admin)
${adminOnlyPolicy('the first user has the admin role')}  clients: []
    # To let web connectors (Claude.ai) reach only tools their backend marks read-only:
    # - { match: { redirectHost: "claude.ai" }, readOnly: true }
${backends}`,
  },
  nextcloud: {
    summary: 'users sign in with their Nextcloud account',
    upstream: 'https://cloud.example.com',
    body: (o) => `${server(o)}
identity:
  local:
    enabled: false           # true keeps Postern's own users as a second way in
  nextcloud:
    url: ${o.upstream}
    loginFlow: true          # "Sign in with Nextcloud": the password is typed at Nextcloud only
    passwordLogin: false     # true also accepts user name + app password on Postern's form
  groupRoles:
    admin: [admin]           # Nextcloud group → Postern roles
${adminOnlyPolicy('members of the Nextcloud group "admin"')}${backends}`,
  },
  'trusted-proxy': {
    summary: 'behind a reverse proxy that signs users in (oauth2-proxy, Authelia, …) and passes trusted headers',
    body: (o) => `${server(o)}
identity:
  local:
    enabled: false           # the proxy signs users in; Postern shows only its consent page
  trustedHeader:
    enabled: true
    userHeader: X-Forwarded-User
    groupsHeader: X-Forwarded-Groups
    emailHeader: X-Forwarded-Email
    # Only these peers may set the headers: the proxy's own address. The proxy must drop any
    # X-Forwarded-User a client sends (docs/identity/trusted-header.md).
    trustedSourceCidrs: ["127.0.0.1/32", "::1/128"]
    injectedRoles: []
  groupRoles:
    admins: [admin]          # the proxy's group → Postern roles
${adminOnlyPolicy('members of the proxy\'s group "admins"')}${backends}`,
  },
  'resource-server': {
    summary: 'resource server only: tokens come from your own authorization server (Keycloak, Authentik, Entra ID, …)',
    upstream: 'https://sso.example.com/realms/mcp',
    body: (o) => `${server(o)}
auth:
  external:                  # docs/external-authorization-server.md
    issuer: ${o.upstream}
    verify: auto             # JWTs by the server's keys, other tokens by introspection or userinfo
    # clientId: postern      # Postern's own client for introspection; absent: registered dynamically
    # clientSecret: "…"
    claims: { subject: sub, groups: groups }

identity:
  groupRoles:
    mcp-admins: [admin]      # the token's groups → Postern roles
${adminOnlyPolicy('members of the group "mcp-admins"')}${backends}`,
  },
};

/** The whole file for one set-up. */
export function renderConfig(name: string, o: InitOptions): string {
  const setup = setups[name];
  return `# Postern: ${setup.summary}.
# Written by \`postern init ${name}\`. Replace the example URLs, then check the file with
# \`postern check --config FILE\`. Every key and its default: README.md, "Configuration".

${setup.body({ ...o, upstream: o.upstream ?? setup.upstream })}`;
}
