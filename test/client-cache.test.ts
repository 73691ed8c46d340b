// A client registered dynamically is put into oidc-provider's cache of built clients, so its first
// look-up does not build it again; every look-up still reads the stored record, so a client
// changed or deleted in the store — by this process or by another replica on the same store — is
// found changed or missing, never served from the cache.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Provider from 'oidc-provider';
import { createAdapterClass } from '../src/oauth/adapter.js';
import { clientCached, primeClientCache } from '../src/oauth/client-cache.js';
import { MemoryStore } from '../src/store/memory.js';
import { TestBrowser } from './helpers/browser.js';
import { authorize, authorizeUrl, REDIRECT, register } from './helpers/flow.js';
import { startTestPostern, tempDir, type TestPostern } from './helpers/postern.js';

const OTHER = 'http://127.0.0.1:53999/other';

describe('the client cache primed at registration (oidc-provider)', () => {
  const store = new MemoryStore();
  let provider: Provider;
  let server: Server;
  let issuer: string;
  const built: unknown[] = [];

  before(async () => {
    provider = new Provider('http://127.0.0.1', {
      adapter: createAdapterClass(store),
      routes: { registration: '/register' },
      features: { registration: { enabled: true }, devInteractions: { enabled: false } },
    });
    provider.on('registration_create.success', (ctx, client) => {
      built.push(client);
      primeClientCache(ctx, client);
    });
    server = createServer(provider.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('the first look-up finds the client built at registration; a changed or deleted record is not served from the cache', async () => {
    const { status, body } = await register(issuer, { client_name: 'Cached' });
    assert.equal(status, 201, JSON.stringify(body));
    const id = body.client_id as string;
    const stored = (await store.oidcFind('Client', id))!.payload;
    assert.ok(clientCached(provider, stored), "the cache holds the client under its stored metadata's key");
    const found = await provider.Client.find(id);
    assert.equal(found, built[0], 'the look-up returns the client built at registration, not a new one');
    const ClientClass = provider.Client as unknown as new (metadata: unknown) => { metadata(): unknown };
    assert.deepEqual(found!.metadata(), new ClientClass(stored).metadata(), 'it is the client the stored metadata builds');

    await store.oidcUpsert('Client', id, { ...stored, redirect_uris: [OTHER] });
    const changed = await provider.Client.find(id);
    assert.notEqual(changed, built[0]);
    assert.deepEqual(changed!.redirectUris, [OTHER]);

    await store.oidcDestroy('Client', id);
    assert.equal(await provider.Client.find(id), undefined);
  });
});

describe('a registered client changed or deleted on another replica', () => {
  const dataDir = tempDir();
  const secret = 'client-cache-test-secret-0123456789abcdef';
  let a: TestPostern;
  let b: TestPostern;

  before(async () => {
    a = await startTestPostern({ dataDir, mcpServers: {}, auth: { secret } });
    b = await startTestPostern({ dataDir, mcpServers: {}, auth: { secret } });
  });
  after(async () => {
    await b?.destroy();
    await a?.destroy();
  });

  /** Where the authorization request for `clientId` ends on `p`: the sign-in page, or an error page. */
  async function authorizationPage(p: TestPostern, clientId: string, redirectUri = REDIRECT) {
    const page = await new TestBrowser().go(authorizeUrl(p.issuer, p.mcpUrl, clientId, { redirect_uri: redirectUri }), {}, REDIRECT);
    return page.html.includes('name="password"') ? 'sign-in' : 'refused';
  }

  it('a flow with a client registered on this replica works', async () => {
    const { body } = await register(a.issuer);
    const done = await authorize(a.issuer, a.mcpUrl, body.client_id, a.password);
    assert.ok(done.searchParams.get('code'));
  });

  it('its redirect URIs changed on the other replica: this one follows the stored record', async () => {
    const { body } = await register(a.issuer);
    const id = body.client_id as string;
    assert.equal(await authorizationPage(a, id), 'sign-in');
    const stored = (await b.store.oidcFind('Client', id))!;
    await b.store.oidcUpsert('Client', id, { ...stored.payload, redirect_uris: [OTHER] }, stored.expiresAt);
    b.store.commit();
    assert.equal(await authorizationPage(a, id), 'refused');
    assert.equal(await authorizationPage(a, id, OTHER), 'sign-in');
  });

  it('deleted on the other replica: this one refuses it', async () => {
    const { body } = await register(a.issuer);
    const id = body.client_id as string;
    await b.store.oidcDestroy('Client', id);
    b.store.commit();
    assert.equal(await authorizationPage(a, id), 'refused');
  });
});
