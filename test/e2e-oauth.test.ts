// End to end with the official SDK v2 client as the OAuth client: discovery, registration,
// sign-in and consent pages, token, tools/list and tools/call on the real demo backend, refresh,
// restart and reuse — in both protocol eras.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectWithOAuth, MemoryOAuthProvider, type Era } from './helpers/oauth-client.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';
import { text } from './helpers/results.js';

for (const era of ['legacy', 'modern'] as Era[]) {
  describe(`OAuth flow with the SDK client (${era === 'legacy' ? '2025-11-25 sessions' : '2026-07-28 stateless'})`, () => {
    let postern: TestPostern;
    const user = () => ({ username: 'admin', password: postern.password });

    before(async () => {
      postern = await startTestPostern();
    });
    after(async () => {
      await postern.destroy();
    });

    it('signs in, lists prefixed tools and calls one on the demo backend', async () => {
      const provider = new MemoryOAuthProvider();
      const { client, signedIn } = await connectWithOAuth(postern.mcpUrl, provider, user(), era);
      try {
        assert.equal(signedIn, true);
        assert.ok(provider.info?.client_id, 'the client registered dynamically');
        const { tools } = await client.listTools();
        const names = tools.map((t) => t.name);
        assert.ok(names.includes('everything__echo'), `tools: ${names.join(', ')}`);
        assert.ok(names.every((n) => n.startsWith('everything__')));
        const result = await client.callTool({ name: 'everything__echo', arguments: { message: 'hello through postern' } });
        assert.match(text(result), /hello through postern/);
        const sum = await client.callTool({ name: 'everything__get-sum', arguments: { a: 2, b: 40 } });
        assert.match(text(sum), /42/);
      } finally {
        await client.close();
      }
    });

    it('forwards resources and prompts', async () => {
      const provider = new MemoryOAuthProvider();
      const { client } = await connectWithOAuth(postern.mcpUrl, provider, user(), era);
      try {
        const { resources } = await client.listResources();
        assert.ok(resources.length > 0, 'the demo backend lists resources');
        const read = await client.readResource({ uri: resources[0].uri });
        assert.equal(read.contents[0].uri, resources[0].uri);
        const { prompts } = await client.listPrompts();
        const simple = prompts.find((p) => p.name === 'everything__simple-prompt');
        assert.ok(simple, `prompts: ${prompts.map((p) => p.name).join(', ')}`);
        const got = await client.getPrompt({ name: 'everything__simple-prompt' });
        assert.ok(got.messages.length > 0);
      } finally {
        await client.close();
      }
    });

    it('refreshes the access token with a rotated refresh token and keeps working', async () => {
      const provider = new MemoryOAuthProvider();
      const first = await connectWithOAuth(postern.mcpUrl, provider, user(), era);
      await first.client.close();
      const before = provider.savedTokens!;
      assert.ok(before.refresh_token, 'a refresh token was issued');
      // Make the client believe its access token is gone so that it refreshes.
      provider.savedTokens = { ...before, access_token: 'expired.invalid.token' };
      const again = await connectWithOAuth(postern.mcpUrl, provider, user(), era);
      try {
        assert.equal(again.signedIn, false, 'no second sign-in');
        assert.notEqual(provider.savedTokens!.refresh_token, before.refresh_token, 'the refresh token rotated');
        assert.notEqual(provider.savedTokens!.access_token, before.access_token);
        const { tools } = await again.client.listTools();
        assert.ok(tools.length > 0);
      } finally {
        await again.client.close();
      }
    });
  });
}

describe('restart', () => {
  it('keeps clients, grants and refresh tokens: the client reconnects without signing in', async () => {
    let postern = await startTestPostern();
    const user = { username: 'admin', password: postern.password };
    try {
      const provider = new MemoryOAuthProvider();
      const first = await connectWithOAuth(postern.mcpUrl, provider, user);
      await first.client.close();
      postern = await postern.restart();
      // The old access token is still valid after the restart.
      const reuse = await connectWithOAuth(postern.mcpUrl, provider, user);
      assert.equal(reuse.signedIn, false);
      await reuse.client.close();
      // And the refresh token works after the restart too.
      provider.savedTokens = { ...provider.savedTokens!, access_token: 'gone' };
      const refreshed = await connectWithOAuth(postern.mcpUrl, provider, user);
      try {
        assert.equal(refreshed.signedIn, false);
        const result = await refreshed.client.callTool({ name: 'everything__echo', arguments: { message: 'after restart' } });
        assert.match(text(result), /after restart/);
      } finally {
        await refreshed.client.close();
      }
    } finally {
      await postern.destroy();
    }
  });
});
