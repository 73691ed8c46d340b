// The built-in backend kind: a toolset running inside Postern's process, served to each calling
// user by a server of their own that knows the user and the user's stored upstream credential,
// and that can still ask that user's client (elicitation) in the middle of a call.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { z } from 'zod';
import { Server } from '@modelcontextprotocol/server';
import { BackendRegistry } from '../src/backends/registry.js';
import { withCallContext, type CallerIdentity } from '../src/backends/call-context.js';
import type { BuiltInToolset } from '../src/backends/kinds/built-in/toolset.js';
import { builtInBackendSchema } from '../src/backends/kinds/built-in/schema.js';
import { text } from './helpers/results.js';

const caller = (subject: string): CallerIdentity => ({ subject, clientId: 'c', roles: [], scopes: ['mcp:tools'] });

/** A toolset whose one tool says who it serves, with what credential, and asks the caller for a word. */
const whoami: BuiltInToolset<{ greeting: string }> = {
  name: 'whoami',
  settings: z.object({ greeting: z.string().default('hello') }).strict(),
  async createServer(ctx) {
    const server = new Server({ name: 'whoami', version: '1' }, { capabilities: { tools: {} } });
    server.setRequestHandler('tools/list', () => ({ tools: [{ name: 'whoami', inputSchema: { type: 'object' as const, properties: {} } }] }));
    server.setRequestHandler('tools/call', async (_request, handler) => {
      const word = (await handler.mcpReq.send({
        method: 'elicitation/create',
        params: { message: 'A word?', requestedSchema: { type: 'object', properties: { word: { type: 'string' } } } },
      })) as { content?: { word?: string } };
      const credential = await ctx.credential('nextcloud');
      return {
        content: [{ type: 'text', text: `${ctx.settings.greeting} ${ctx.caller?.subject ?? 'nobody'} ${credential ?? '-'} ${word.content?.word ?? '?'}` }],
      };
    });
    return server;
  },
};

describe('built-in backend kind', () => {
  let registry: BackendRegistry;
  const created: string[] = [];

  before(async () => {
    const counted: BuiltInToolset<{ greeting: string }> = {
      ...whoami,
      createServer: (ctx) => (created.push(ctx.caller?.subject ?? 'nobody'), whoami.createServer(ctx)),
    };
    const entry = builtInBackendSchema.safeParse({ type: 'built-in', toolset: 'whoami', settings: { greeting: 'hi' } });
    assert.equal(entry.success, false, 'a toolset the build does not list is refused by the config check');
    registry = new BackendRegistry(
      {
        me: {
          type: 'built-in',
          toolset: 'whoami',
          settings: { greeting: 'hi' },
          protocol: 'legacy',
          disabled: false,
          timeoutMs: 10_000,
          prefix: true,
          rename: {},
          auditArguments: false,
        },
      },
      {
        version: 'test',
        log: pino({ level: 'silent' }),
        toolsets: [counted as BuiltInToolset],
        credentials: async (subject, source) => (subject === 'local:ann' ? `${source}-secret-of-ann` : undefined),
      },
    );
    registry.start();
    await registry.waitReady(10_000);
  });
  after(() => registry.stop());

  it('lists the toolset under the backend prefix and reports its kind', () => {
    assert.deepEqual(
      registry.status().map((s) => [s.name, s.kind, s.state]),
      [['me', 'built-in', 'ready']],
    );
    assert.ok(registry.tool('me__whoami'));
  });

  it("serves each caller with a server of their own that knows them and their credential, relaying the server's questions", async () => {
    const downstream = (word: string) => ({ notify: async () => {}, request: async () => ({ action: 'accept', content: { word } }) });
    const call = (subject: string, word: string) => {
      const to = downstream(word);
      return withCallContext({ caller: caller(subject), downstream: to }, () => registry.callTool('me__whoami', {}, { downstream: to }));
    };
    assert.equal(text(await call('local:ann', 'one')), 'hi local:ann nextcloud-secret-of-ann one');
    assert.equal(text(await call('local:bob', 'two')), 'hi local:bob - two');
    assert.equal(text(await call('local:ann', 'three')), 'hi local:ann nextcloud-secret-of-ann three');
    assert.deepEqual(created, ['nobody', 'local:ann', 'local:bob'], 'one server for listing, then one per user, kept');
  });
});
