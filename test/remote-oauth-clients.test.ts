// How the gateway names itself to a remote's authorization server, in each mode: by dynamic
// registration (the remote's default), with a client ID configured for a remote whose
// registration is closed, and by its own client ID metadata document when its public URL is
// https (here behind a TLS front with a test CA).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { connectWithOAuth, MemoryOAuthProvider } from './helpers/oauth-client.js';
import { text } from './helpers/results.js';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { makeCertificate } from './helpers/document-server.js';
import { trustTestCa } from './helpers/http.js';
import { startHttpsProxy, type HttpsProxy } from './helpers/https-proxy.js';
import type { TestPostern } from './helpers/postern.js';
import { connectHref, freePort, LOOPBACK, linkAtRemote, linksOf, signInToAccount, startGateway, startRemote, PEOPLE } from './helpers/remote-link.js';

const { alice, aliceRemote } = PEOPLE;

/** The client the remote issued the link's grant to. */
async function grantClient(remote: TestPostern): Promise<string> {
  const grants = await remote.store.oidcGrantsOf(`local:${aliceRemote.username}`);
  assert.equal(grants.length, 1);
  return String(grants[0].record.payload.clientId);
}

describe('identifying to the remote', () => {
  const started: Array<{ destroy?(): Promise<void>; close?(): Promise<void> }> = [];
  after(async () => {
    for (const s of started.reverse()) await (s.destroy ?? s.close)!.call(s);
  });

  it('registers dynamically, and keeps the registration sealed', async () => {
    const remote = await startRemote([aliceRemote]);
    const gw = await startGateway([alice], remote.mcpUrl);
    started.push(remote, gw);
    const { browser, page } = await signInToAccount(gw.issuer, alice);
    await linkAtRemote(browser, page, 'tracker', aliceRemote);
    assert.ok(await linksOf(gw).get('local:alice', 'tracker'));
    const clientId = await grantClient(remote);
    const client = await remote.store.oidcFind('Client', clientId);
    assert.match(String(client?.payload.client_name), /^Postern at 127\.0\.0\.1:/);
    const kept = await gw.store.getSetting('remote-oauth-client:tracker');
    assert.ok(kept?.startsWith('v1.') && !kept.includes(clientId), 'sealed');
  });

  it('uses the configured client id where registration is closed', async () => {
    const port = await freePort();
    const callback = `http://127.0.0.1:${port}/account/remote/tracker/callback`;
    const remote = await startRemote([aliceRemote], {
      auth: {
        registration: { initialAccessToken: hashStaticToken('only-for-the-operator') },
        clients: [{ id: 'gateway-by-hand', name: 'Our gateway', redirectUris: [callback] }],
      },
    });
    const gw = await startGateway([alice], remote.mcpUrl, { clientId: 'gateway-by-hand' }, { server: { port } });
    started.push(remote, gw);
    const { browser, page } = await signInToAccount(gw.issuer, alice);
    const done = await linkAtRemote(browser, page, 'tracker', aliceRemote);
    assert.match(done.html, /tracker<\/strong> <span class="muted">Connected</);
    assert.equal(await grantClient(remote), 'gateway-by-hand');
  });

  it('names itself by its client ID metadata document when its URL is https', async () => {
    const cert = makeCertificate();
    trustTestCa(cert.ca);
    const port = await freePort();
    const front: HttpsProxy = await startHttpsProxy(cert, port);
    const issuer = `https://127.0.0.1:${front.port}`;
    const remote = await startRemote([aliceRemote], { auth: { clientIdMetadataDocuments: { allowPrivateAddresses: true } } }, { documentCa: [cert.ca] });
    const gw = await startGateway([alice], remote.mcpUrl, { allowPrivateAddresses: LOOPBACK }, { server: { port, issuer } });
    started.push(remote, gw, front);
    const document = await (await fetch(`http://127.0.0.1:${port}/.well-known/postern-client.json`)).json();
    assert.equal(document.client_id, `${issuer}/.well-known/postern-client.json`);
    assert.deepEqual(document.redirect_uris, [`${issuer}/account/remote/tracker/callback`]);

    const { browser, page } = await signInToAccount(issuer, alice);
    const done = await linkAtRemote(browser, page, 'tracker', aliceRemote);
    assert.match(done.html, /tracker<\/strong> <span class="muted">Connected</);
    assert.equal(await grantClient(remote), document.client_id);
    assert.equal(await gw.store.getSetting('remote-oauth-client:tracker'), undefined, 'nothing was registered');
  });

  it('steps up: a 403 insufficient_scope asks the user to connect again with the scope it names', async () => {
    const remote = await startRemote([aliceRemote]);
    const gw = await startGateway([alice], remote.mcpUrl, { scopes: ['mcp:tools:read'] });
    started.push(remote, gw);
    const tool = 'tracker__everything__toggle-simulated-logging';
    assert.equal(remote.registry.isReadOnly('everything__toggle-simulated-logging'), false, 'the tool needs mcp:tools');
    const { browser, page } = await signInToAccount(gw.issuer, alice);
    await linkAtRemote(browser, page, 'tracker', aliceRemote);
    const { client } = await connectWithOAuth(gw.mcpUrl, new MemoryOAuthProvider(), alice);
    try {
      const reads = await client.callTool({ name: 'tracker__everything__echo', arguments: { message: 'read-only' } });
      assert.match(text(reads), /read-only/, 'mcp:tools:read reaches the read-only tools');
      const refused = await client.callTool({ name: tool, arguments: {} });
      assert.equal(refused.isError, true);
      const link = /https?:\/\/\S+/.exec(text(refused))?.[0];
      const url = new URL(link!);
      assert.equal(`${url.origin}${url.pathname}`, `${gw.issuer}/account`);
      assert.equal(url.searchParams.get('connect'), 'tracker');
      assert.ok(url.searchParams.get('scope')?.split(' ').includes('mcp:tools'), 'the scope the remote asked for');
      const asked = await browser.go(link!);
      assert.match(asked.html, /with more access \([^)]*mcp:tools\b/);
      assert.ok(new URL(connectHref(asked, 'tracker')).searchParams.get('scope')?.split(' ').includes('mcp:tools'));
      await linkAtRemote(browser, asked, 'tracker', aliceRemote);
      const stored = await linksOf(gw).get('local:alice', 'tracker');
      assert.deepEqual(stored?.scope?.split(' ').sort(), ['mcp:tools', 'mcp:tools:read']);
      const ok = await client.callTool({ name: tool, arguments: {} });
      assert.equal(ok.isError ?? false, false, text(ok));
      assert.match(text(ok), /logging/i);
    } finally {
      await client.close();
    }
  });
});
