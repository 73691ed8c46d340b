// Client ID metadata documents: the SDK v2 client's clientMetadataUrl against documents on a local
// HTTPS server with a test CA, the consent page naming the document's host, per-client
// restrictions matching the document's metadata, and the attacks — a
// private address with the switch off, a redirect, an oversize document, a client_id mismatch, a
// slow answer, a secret-based or key-based auth method, plain http, a host off the allowlist.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { CALLBACK, connectWithOAuth, MemoryOAuthProvider } from './helpers/oauth-client.js';
import { TestBrowser } from './helpers/browser.js';
import { authorizeUrl, tokenRequest } from './helpers/flow.js';
import { send } from './helpers/http.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';
import { json, makeCertificate, startDocumentServer, type DocumentServer, type TestCertificate } from './helpers/document-server.js';

/** A client described by a document at `clientMetadataUrl` instead of registering. */
class DocumentClient extends MemoryOAuthProvider {
  constructor(readonly clientMetadataUrl: string) {
    super(CALLBACK, 'Document client');
  }
}

const document = (url: string, extra: Record<string, unknown> = {}) => ({
  client_id: url,
  client_name: 'Document client',
  redirect_uris: [CALLBACK],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  ...extra,
});

/** GET /authorize for a document client; the answer is not followed. */
async function authorizeAs(p: TestPostern, clientId: string, redirectUri = CALLBACK) {
  const started = Date.now();
  const res = await send(authorizeUrl(p.issuer, p.mcpUrl, clientId, { redirect_uri: redirectUri }));
  return { status: res.status, location: res.headers.get('location'), html: res.text, ms: Date.now() - started };
}

/** The answer of a refused document: an error page, and no redirect anywhere. */
function assertRefused(answer: { status: number; location: string | null; html: string }, why?: RegExp) {
  assert.equal(answer.status, 400, answer.html.slice(0, 400));
  assert.equal(answer.location, null);
  assert.match(answer.html, /Unknown app|Sign-in failed/);
  if (why) assert.match(answer.html, why);
}

describe('client ID metadata documents', () => {
  let cert: TestCertificate;
  let docs: DocumentServer;
  /** Accepts documents from loopback (the test server), trusting the test CA. */
  let p: TestPostern;
  /** Default switches: loopback and private addresses refused. */
  let strict: TestPostern;

  before(async () => {
    cert = makeCertificate();
    docs = await startDocumentServer(cert);
    const start = { documentCa: [cert.ca] };
    p = await startTestPostern(
      {
        auth: { clientIdMetadataDocuments: { allowPrivateAddresses: true } },
        // Per-client restrictions know a document client by its metadata too.
        policy: { clients: [{ match: { name: 'Document client', redirectHost: '127.0.0.1' }, tools: ['everything__echo'] }] },
      },
      undefined,
      start,
    );
    strict = await startTestPostern({ mcpServers: {} }, undefined, start);
  });
  after(async () => {
    await p?.destroy();
    await strict?.destroy();
    await docs?.close();
  });

  it('discovery advertises client_id_metadata_document_supported by default', async () => {
    const meta = await (await fetch(`${strict.issuer}/.well-known/oauth-authorization-server`)).json();
    assert.equal(meta.client_id_metadata_document_supported, true);
  });

  it('the SDK client signs in with its clientMetadataUrl; the consent page names the host and warns of the loopback redirect', async () => {
    const url = docs.url('/client.json');
    docs.serve('/client.json', (_req, res) => json(res, document(url), { 'cache-control': 'max-age=300' }));
    const client = new DocumentClient(url);
    let consentHtml = '';
    const { client: mcp } = await connectWithOAuth(p.mcpUrl, client, async (authorizationUrl, prefix) => {
      const browser = new TestBrowser();
      const login = await browser.go(authorizationUrl, {}, prefix);
      const consent = await browser.submit(login, '/login', { username: 'admin', password: p.password }, prefix);
      consentHtml = consent.html;
      return new URL((await browser.submit(consent, '/confirm', {}, prefix)).url);
    });
    try {
      assert.equal(client.info?.client_id, url, 'the SDK used the URL as its client_id instead of registering');
      assert.match(consentHtml, /<strong class="host">localhost<\/strong>/);
      assert.match(consentHtml, /calls itself “Document client”/);
      assert.match(consentHtml, /sends you back to a program on this computer/);
      assert.equal(decodeJwt(client.savedTokens!.access_token).client_id, url);
      const { tools } = await mcp.listTools();
      assert.deepEqual(
        tools.map((t) => t.name),
        ['everything__echo'],
        'policy.clients matched the document client',
      );
    } finally {
      await mcp.close();
    }
    assert.equal(await p.store.oidcCount('Client'), 0, 'a document client is not stored');
  });

  it('the document is cached within its cache headers, not fetched on every request', async () => {
    const url = docs.url('/cached.json');
    docs.serve('/cached.json', (_req, res) => json(res, document(url), { 'cache-control': 'max-age=300' }));
    assert.equal((await authorizeAs(p, url)).status, 303);
    assert.equal((await authorizeAs(p, url)).status, 303);
    assert.equal(docs.hits.get('/cached.json'), 1);
  });

  it('the document binds the redirect URI: another one gets an error page, not a redirect', async () => {
    const url = docs.url('/bound.json');
    docs.serve('/bound.json', (_req, res) => json(res, document(url)));
    assertRefused(await authorizeAs(p, url, 'http://127.0.0.1:9/elsewhere'));
  });

  it('a document on a loopback name or address is not fetched while allowPrivateAddresses is off', async () => {
    docs.serve('/private.json', (_req, res, url) => json(res, document(url)));
    for (const host of ['localhost', '127.0.0.1', '[::ffff:127.0.0.1]', '127.1']) {
      assertRefused(await authorizeAs(strict, `https://${host}:${docs.port}/private.json`), /Unknown app/);
    }
    assert.equal(docs.hits.get('/private.json'), undefined, 'no request reached the private address');
  });

  it('a redirect is not followed', async () => {
    const target = docs.url('/target.json');
    docs.serve('/target.json', (_req, res) => json(res, document(target)));
    docs.serve('/moved.json', (_req, res) => {
      res.writeHead(302, { location: target });
      res.end();
    });
    assertRefused(await authorizeAs(p, docs.url('/moved.json')));
    assert.equal(docs.hits.get('/target.json'), undefined);
  });

  it('a document over 5 KB is refused, with or without a Content-Length', async () => {
    const big = (url: string) => JSON.stringify(document(url, { software_version: 'x'.repeat(6000) }));
    docs.serve('/big.json', (_req, res, url) => json(res, JSON.parse(big(url))));
    docs.serve('/big-stream.json', (_req, res, url) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const text = big(url);
      for (let i = 0; i < text.length; i += 1000) res.write(text.slice(i, i + 1000));
      res.end();
    });
    assertRefused(await authorizeAs(p, docs.url('/big.json')));
    assertRefused(await authorizeAs(p, docs.url('/big-stream.json')));
  });

  it('a document whose client_id is not its own URL is refused', async () => {
    docs.serve('/mismatch.json', (_req, res) => json(res, document(docs.url('/someone-else.json'))));
    assertRefused(await authorizeAs(p, docs.url('/mismatch.json')));
  });

  it('a slow answer is given up within seconds', async () => {
    const timers = new Set<NodeJS.Timeout>();
    docs.serve('/slow.json', (_req, res, url) => {
      const t = setTimeout(() => json(res, document(url)), 8000);
      timers.add(t);
      res.on('close', () => clearTimeout(t));
    });
    const answer = await authorizeAs(p, docs.url('/slow.json'));
    for (const t of timers) clearTimeout(t);
    assertRefused(answer);
    assert.ok(answer.ms < 4000, `gave up after ${answer.ms} ms`);
    assert.equal(docs.hits.get('/slow.json'), 1, 'fetched once');
  });

  it('a document with a secret-based or key-based auth method is refused', async () => {
    docs.serve('/secret.json', (_req, res, url) => json(res, document(url, { token_endpoint_auth_method: 'client_secret_post' })));
    docs.serve('/keyed.json', (_req, res, url) =>
      json(res, document(url, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: docs.url('/jwks.json') })),
    );
    assertRefused(await authorizeAs(p, docs.url('/secret.json')));
    assertRefused(await authorizeAs(p, docs.url('/keyed.json')), /token_endpoint_auth_method/);
    assert.equal(docs.hits.get('/jwks.json'), undefined);
  });

  it('a document with a redirect URI the registration rules refuse is refused', async () => {
    docs.serve('/bad-redirect.json', (_req, res, url) => json(res, document(url, { redirect_uris: ['http://evil.example/cb'] })));
    assertRefused(await authorizeAs(p, docs.url('/bad-redirect.json'), 'http://evil.example/cb'), /non-loopback host/);
  });

  it('an http client_id is not a document: an unknown client, nothing fetched', async () => {
    assertRefused(await authorizeAs(p, `http://localhost:${docs.port}/client.json`), /not known to this server/);
    const token = await tokenRequest(p.issuer, { grant_type: 'refresh_token', refresh_token: 'x', client_id: `http://localhost:${docs.port}/client.json` });
    assert.equal(token.status, 401);
    assert.equal(token.body.error, 'invalid_client');
  });

  describe('with allowedHosts and with documents off', () => {
    let listed: TestPostern;
    let off: TestPostern;
    before(async () => {
      const start = { documentCa: [cert.ca] };
      listed = await startTestPostern(
        { mcpServers: {}, auth: { clientIdMetadataDocuments: { allowPrivateAddresses: true, allowedHosts: ['*.example.com'] } } },
        undefined,
        start,
      );
      off = await startTestPostern({ mcpServers: {}, auth: { clientIdMetadataDocuments: { enabled: false } } }, undefined, start);
    });
    after(async () => {
      await listed?.destroy();
      await off?.destroy();
    });

    it('a host off the allowlist is not fetched, and /token answers 401 invalid_client', async () => {
      docs.serve('/unlisted.json', (_req, res, url) => json(res, document(url)));
      assertRefused(await authorizeAs(listed, docs.url('/unlisted.json')));
      const token = await tokenRequest(listed.issuer, { grant_type: 'refresh_token', refresh_token: 'x', client_id: docs.url('/unlisted.json') });
      assert.equal(token.status, 401);
      assert.equal(token.body.error, 'invalid_client');
      assert.equal(docs.hits.get('/unlisted.json'), undefined);
    });

    it('enabled: false neither advertises nor fetches documents', async () => {
      const meta = await (await fetch(`${off.issuer}/.well-known/oauth-authorization-server`)).json();
      assert.equal(meta.client_id_metadata_document_supported, undefined);
      docs.serve('/off.json', (_req, res, url) => json(res, document(url)));
      assertRefused(await authorizeAs(off, docs.url('/off.json')), /not known to this server/);
      assert.equal(docs.hits.get('/off.json'), undefined);
    });
  });
});
