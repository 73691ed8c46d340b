// mcp-remote (npm), the stdio bridge desktop hosts use to reach remote servers, against a running
// Postern. Its browser step runs in headless Chromium: mcp-remote opens the sign-in URL through
// `open`'s xdg-open, which hands it to $BROWSER — here a stub that writes the URL to a file, from
// which the test drives Chromium through sign-in and consent to mcp-remote's own callback. Then
// tools/list and tools/call over stdio, a second run on the saved tokens (no browser), and a run
// with a spoiled access token that recovers through the refresh token (no browser either).
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { Browser } from 'playwright-core';
import { chromiumMissing, launchChromium, signInAndAllow } from './helpers/chromium.js';
import { startTestPostern, tempDir, type TestPostern } from './helpers/postern.js';
import { until } from './helpers/until.js';

const PROXY = path.resolve(import.meta.dirname, '../node_modules/mcp-remote/dist/proxy.js');

describe('mcp-remote with its browser step in Chromium', { skip: chromiumMissing }, () => {
  let postern: TestPostern;
  let browser: Browser;
  let home: string;
  let urlsFile: string;
  let stub: string;

  before(async () => {
    postern = await startTestPostern();
    browser = await launchChromium();
    home = tempDir('postern-mcp-remote-');
    urlsFile = path.join(home, 'opened-urls');
    stub = path.join(home, 'browser-stub');
    writeFileSync(stub, '#!/bin/sh\nprintf "%s\\n" "$1" >> "$BROWSER_URLS_FILE"\n');
    chmodSync(stub, 0o755);
  });
  after(async () => {
    await browser?.close();
    await postern?.destroy();
  });

  const opened = () => (existsSync(urlsFile) ? readFileSync(urlsFile, 'utf8').split('\n').filter(Boolean) : []);

  /** mcp-remote as a desktop host starts it, its tokens kept in the test's config dir. */
  function bridge(): { client: Client; transport: StdioClientTransport; log: () => string } {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [PROXY, postern.mcpUrl, '--allow-http', '--auth-timeout', '60'],
      env: { PATH: process.env.PATH ?? '', HOME: home, MCP_REMOTE_CONFIG_DIR: path.join(home, 'mcp-auth'), BROWSER: stub, BROWSER_URLS_FILE: urlsFile },
      stderr: 'pipe',
    });
    let log = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      if (log.length < 200_000) log += chunk.toString();
    });
    return { client: new Client({ name: 'desktop-host', version: '1' }), transport, log: () => log.slice(-4000) };
  }

  async function echo(client: Client, message: string): Promise<string> {
    const result = await client.callTool({ name: 'everything__echo', arguments: { message } });
    return (result.content as Array<{ text: string }>)[0].text;
  }

  const tokensFile = () => {
    const dir = path.join(home, 'mcp-auth', readdirSync(path.join(home, 'mcp-auth'))[0]);
    return path.join(dir, readdirSync(dir).find((f) => f.endsWith('_tokens.json'))!);
  };

  it('signs in through Chromium, then lists and calls tools', async () => {
    const { client, transport, log } = bridge();
    const connecting = client.connect(transport);
    try {
      await until(() => opened().length === 1, 30_000, 'mcp-remote to open the browser');
      const authorization = new URL(opened()[0]);
      assert.equal(authorization.origin + authorization.pathname, `${postern.issuer}/authorize`);
      assert.equal(authorization.searchParams.get('resource'), postern.mcpUrl);
      assert.equal(authorization.searchParams.get('code_challenge_method'), 'S256');
      const redirect = authorization.searchParams.get('redirect_uri')!;
      assert.match(redirect, /^http:\/\/localhost:\d+\/oauth\/callback$/);

      const page = await browser.newPage();
      try {
        const callback = await signInAndAllow(page, authorization.toString(), { username: 'admin', password: postern.password }, redirect);
        assert.equal(callback.searchParams.get('iss'), postern.issuer);
      } finally {
        await page.close();
      }
      await connecting;
      const { tools } = await client.listTools();
      assert.ok(
        tools.some((t) => t.name === 'everything__echo'),
        log(),
      );
      assert.equal(await echo(client, 'first run'), 'Echo: first run');
    } finally {
      await client.close();
    }
  });

  it('runs again on the saved tokens without opening the browser', async () => {
    const { client, transport } = bridge();
    await client.connect(transport);
    try {
      assert.equal(await echo(client, 'second run'), 'Echo: second run');
      assert.equal(opened().length, 1);
    } finally {
      await client.close();
    }
  });

  it('recovers from a spoiled access token through its refresh token', async () => {
    const file = tokensFile();
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    assert.ok(saved.refresh_token, 'mcp-remote kept a refresh token');
    writeFileSync(file, JSON.stringify({ ...saved, access_token: `${saved.access_token.slice(0, -8)}spoiled!` }));

    const { client, transport, log } = bridge();
    await client.connect(transport);
    try {
      assert.equal(await echo(client, 'after refresh'), 'Echo: after refresh', log());
      assert.equal(opened().length, 1, 'no new sign-in');
      const renewed = JSON.parse(readFileSync(file, 'utf8'));
      assert.notEqual(renewed.access_token, saved.access_token);
      assert.notEqual(renewed.refresh_token, saved.refresh_token, 'the refresh token rotated');
    } finally {
      await client.close();
    }
  });
});
