// Discovery checks, in the order a client discovers: the 401 challenge of the MCP URL, the
// protected-resource metadata (RFC 9728) at both well-known locations and its `resource`, then
// the authorization server's metadata (RFC 8414 / OpenID discovery): JSON, PKCE S256, the `iss`
// response parameter (RFC 9207), and a way to get a client id (registration or CIMD).
import { baseHeaders, jsonObject, shapeOf, type DoctorContext } from './context.js';
import { describeFailure, type Answer } from './http.js';

export const PRM_WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** The body of a 2025-era initialize, as a client's first request. */
export const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'postern-doctor', version: '1' } },
});

export const MCP_POST_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** Sends the client's first request without a token and checks the challenge; returns the answer. */
export async function challengeCheck(ctx: DoctorContext): Promise<Answer | undefined> {
  const title = '401 with WWW-Authenticate: Bearer resource_metadata';
  let answer: Answer;
  try {
    answer = await ctx.prober.send(ctx.url.toString(), { method: 'POST', headers: { ...baseHeaders(), ...MCP_POST_HEADERS }, body: INITIALIZE });
  } catch (err) {
    ctx.report.fail('challenge', title, describeFailure(err), 'check the URL, that the server runs, and that nothing between blocks it');
    return undefined;
  }
  ctx.challenge = { status: answer.status, headers: answer.headers };
  const header = answer.headers['www-authenticate'] ?? '';
  if (answer.status >= 200 && answer.status < 300) {
    ctx.report.skip('challenge', title, `the server answered ${answer.status} without a token: it asks for no sign-in`);
  } else if (answer.status !== 401) {
    ctx.report.fail(
      'challenge',
      title,
      `got ${shapeOf(answer)}`,
      'the MCP URL must answer a request without a token with 401; check the URL (the path too) and that a proxy does not answer for the server',
    );
  } else if (!/^\s*bearer\b/i.test(header)) {
    ctx.report.fail(
      'challenge',
      title,
      header ? `WWW-Authenticate: ${header}` : 'no WWW-Authenticate header',
      'answer 401 with WWW-Authenticate: Bearer resource_metadata="<protected-resource metadata URL>" (RFC 9728 §5.1); a proxy may drop the header',
    );
  } else if (!resourceMetadataUrl(header)) {
    ctx.report.fail(
      'challenge',
      title,
      `WWW-Authenticate: ${header}`,
      'add resource_metadata="<protected-resource metadata URL>" to the challenge (RFC 9728 §5.1)',
    );
  } else {
    ctx.report.pass('challenge', title, `resource_metadata=${resourceMetadataUrl(header)}`);
  }
  return answer;
}

export function resourceMetadataUrl(header: string): string | undefined {
  return /resource_metadata="([^"]+)"/i.exec(header)?.[1] ?? /resource_metadata=([^\s,]+)/i.exec(header)?.[1];
}

/** Fetches one metadata document; returns it when it is a JSON object, else reports why not. */
async function fetchMetadata(ctx: DoctorContext, url: string): Promise<{ doc?: Record<string, unknown>; problem?: string }> {
  try {
    const answer = await ctx.prober.send(url, { headers: baseHeaders() });
    const doc = answer.status === 200 ? jsonObject(answer.text) : undefined;
    return doc ? { doc } : { problem: `${url}: ${shapeOf(answer)}` };
  } catch (err) {
    return { problem: describeFailure(err) };
  }
}

export async function protectedResourceChecks(ctx: DoctorContext): Promise<void> {
  const { url, report } = ctx;
  const path = url.pathname.replace(/\/$/, '');
  const locations = [
    ...(path ? [{ id: 'prm-path', url: `${url.origin}${PRM_WELL_KNOWN}${path}` }] : []),
    { id: 'prm-root', url: `${url.origin}${PRM_WELL_KNOWN}` },
  ];
  const named = resourceMetadataUrl(ctx.challenge?.headers['www-authenticate'] ?? '');
  if (named && !locations.some((l) => l.url === named)) locations.unshift({ id: 'prm-challenge', url: named });
  const found: Record<string, unknown>[] = [];
  for (const location of locations) {
    const title = `protected-resource metadata at ${new URL(location.url).pathname}`;
    const { doc, problem } = await fetchMetadata(ctx, location.url);
    if (!doc) {
      report.fail(
        location.id,
        title,
        problem!,
        'serve the RFC 9728 metadata as JSON here: route /.well-known/* to the MCP server, not to a web site or a catch-all page',
      );
    } else if (!Array.isArray(doc.authorization_servers) || doc.authorization_servers.length === 0 || typeof doc.resource !== 'string') {
      report.fail(
        location.id,
        title,
        'JSON, but without "resource" or "authorization_servers"',
        'name the resource (the MCP URL) and at least one authorization server',
      );
    } else {
      report.pass(location.id, title);
      found.push(doc);
    }
  }
  ctx.prm = found[0];
  resourceCheck(ctx);
}

/** The metadata's `resource` must be the URL the client was given (a path prefix of it, at most). */
function resourceCheck(ctx: DoctorContext): void {
  const title = 'metadata "resource" matches the URL';
  const resource = ctx.prm?.resource;
  if (typeof resource !== 'string') {
    ctx.report.skip('prm-resource', title, 'no protected-resource metadata');
    return;
  }
  const want = ctx.url.toString().replace(/\/$/, '');
  let got: URL | undefined;
  try {
    got = new URL(resource);
  } catch {
    // Not a URL: reported below.
  }
  const prefix = got && got.origin === ctx.url.origin && `${ctx.url.pathname}/`.startsWith(`${got.pathname.replace(/\/$/, '')}/`);
  if (resource.replace(/\/$/, '') === want) ctx.report.pass('prm-resource', title, resource);
  else if (prefix) ctx.report.pass('prm-resource', title, `${resource} (a prefix of the URL; some clients want it exact)`);
  else {
    ctx.report.fail(
      'prm-resource',
      title,
      `"resource" is ${resource}, the URL is ${want}`,
      `the metadata must name the URL clients use (${want}); behind a proxy, set the server's public URL (Postern: server.issuer = ${ctx.url.origin})`,
    );
  }
}

/** Where RFC 8414 and OpenID discovery put an issuer's metadata, in the order MCP clients try. */
export function asMetadataUrls(issuer: string): string[] {
  const u = new URL(issuer);
  const path = u.pathname.replace(/\/$/, '');
  if (!path) return [`${u.origin}/.well-known/oauth-authorization-server`, `${u.origin}/.well-known/openid-configuration`];
  return [
    `${u.origin}/.well-known/oauth-authorization-server${path}`,
    `${u.origin}/.well-known/openid-configuration${path}`,
    `${u.origin}${path}/.well-known/openid-configuration`,
  ];
}

export async function authorizationServerChecks(ctx: DoctorContext): Promise<void> {
  const { report } = ctx;
  const titles = {
    'as-metadata': 'authorization-server metadata (JSON)',
    'as-pkce': 'PKCE with S256',
    'as-iss': 'iss in authorization responses (RFC 9207)',
    'as-registration': 'dynamic registration or client ID metadata documents',
  };
  const issuer = (ctx.prm?.authorization_servers as unknown[] | undefined)?.[0];
  if (typeof issuer !== 'string' || !URL.canParse(issuer)) {
    for (const [id, title] of Object.entries(titles)) report.skip(id, title, 'no authorization server named');
    return;
  }
  const problems: string[] = [];
  for (const url of asMetadataUrls(issuer)) {
    const { doc, problem } = await fetchMetadata(ctx, url);
    if (doc) {
      ctx.as = doc;
      break;
    }
    problems.push(problem!);
  }
  const as = ctx.as;
  if (!as) {
    report.fail('as-metadata', titles['as-metadata'], problems.join('; '), `serve RFC 8414 metadata as JSON at ${asMetadataUrls(issuer)[0]}`);
    for (const id of ['as-pkce', 'as-iss', 'as-registration'] as const) report.skip(id, titles[id], 'no authorization-server metadata');
    return;
  }
  if (as.issuer !== issuer) {
    report.fail(
      'as-metadata',
      titles['as-metadata'],
      `"issuer" is ${String(as.issuer)}, the resource names ${issuer}`,
      "the metadata's issuer must equal the authorization server URL the resource names",
    );
  } else report.pass('as-metadata', titles['as-metadata'], issuer);

  const methods = as.code_challenge_methods_supported;
  if (Array.isArray(methods) && methods.includes('S256')) report.pass('as-pkce', titles['as-pkce']);
  else
    report.fail(
      'as-pkce',
      titles['as-pkce'],
      `code_challenge_methods_supported: ${JSON.stringify(methods ?? null)}`,
      'support PKCE with S256 and list it in code_challenge_methods_supported; MCP clients refuse a server that does not',
    );

  if (as.authorization_response_iss_parameter_supported === true) report.pass('as-iss', titles['as-iss']);
  else
    report.fail(
      'as-iss',
      titles['as-iss'],
      'authorization_response_iss_parameter_supported is not true',
      'send iss with the authorization code (RFC 9207) and say so in the metadata; it protects clients that talk to several servers from mix-up attacks',
    );

  const ways = [
    typeof as.registration_endpoint === 'string' ? `registration at ${as.registration_endpoint}` : '',
    as.client_id_metadata_document_supported === true ? 'client ID metadata documents' : '',
  ].filter(Boolean);
  if (ways.length) report.pass('as-registration', titles['as-registration'], ways.join(', '));
  else
    report.fail(
      'as-registration',
      titles['as-registration'],
      'neither registration_endpoint nor client_id_metadata_document_supported',
      'offer dynamic client registration (RFC 7591) or client ID metadata documents; otherwise each client needs a pre-registered client id entered by hand',
    );
}
