// The 2026-07-28 backend of the conformance run: a streamable-HTTP MCP server on the stateless
// era (SDK v2 `createMcpHandler`) with the tools and the prompt of the suite's reference server
// that only that era has — the multi-round-trip ones (SEP-2322), which answer `input_required`
// with input requests and a requestState (HMAC-sealed with the SDK's codec, so a tampered one
// is refused) and finish when retried with the answers — and a tool whose argument travels in an
// `Mcp-Param-*` header too (SEP-2243). Postern connects to it on the 2026-07-28 era and lists it
// unprefixed, next to the 2025-era stdio fixture (fixture-server.ts).
import { randomBytes } from 'node:crypto';
import {
  CLIENT_CAPABILITIES_META_KEY,
  createRequestStateCodec,
  inputRequired,
  inputResponse,
  Server,
  type ClientCapabilities,
  type InputRequest,
} from '@modelcontextprotocol/server';
import { serveMcp } from '../test/helpers/mcp-http.js';

type Responses = Record<string, unknown> | undefined;
type Ctx = { mcpReq: { inputResponses?: Responses; requestState<T = Record<string, unknown>>(): T | undefined; envelope?: Record<string, unknown> } };
type Reply = Record<string, unknown>;

const codec = createRequestStateCodec<Record<string, unknown>>({ key: randomBytes(32) });
const EMPTY = { type: 'object', properties: {} } as const;
const text = (t: string) => ({ content: [{ type: 'text', text: t }] });
const ask = (message: string, field: string, type = 'string') =>
  inputRequired.elicit({ message, requestedSchema: { type: 'object', properties: { [field]: { type } }, required: [field] } as never });
const sample = (prompt: string, maxTokens: number) =>
  inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens });

/** The accepted elicitation field `field` of the answer under `key`, if there is one. */
function field(responses: Responses, key: string, name: string): unknown {
  const view = inputResponse(responses, key);
  return view.kind === 'elicit' && view.action === 'accept' ? view.content?.[name] : undefined;
}

async function needs(inputRequests: Record<string, InputRequest>, state?: Record<string, unknown>): Promise<Reply> {
  return inputRequired({ inputRequests, ...(state ? { requestState: await codec.mint(state) } : {}) }) as Reply;
}

const tools: Record<string, { inputSchema?: Record<string, unknown>; run(ctx: Ctx, args: Record<string, unknown>): Promise<Reply> }> = {
  test_input_required_result_elicitation: {
    async run({ mcpReq: { inputResponses } }) {
      const name = field(inputResponses, 'user_name', 'name');
      return name === undefined ? needs({ user_name: ask('What is your name?', 'name') }) : text(`Hello, ${String(name)}!`);
    },
  },
  test_input_required_result_sampling: {
    async run({ mcpReq: { inputResponses } }) {
      const view = inputResponse(inputResponses, 'capital_question');
      if (view.kind !== 'sampling') return needs({ capital_question: sample('What is the capital of France?', 100) });
      const content = view.result.content as { type: string; text?: string };
      return text(`Sampling result: ${content.type === 'text' ? content.text : 'no text'}`);
    },
  },
  test_input_required_result_list_roots: {
    async run({ mcpReq: { inputResponses } }) {
      const view = inputResponse(inputResponses, 'client_roots');
      return view.kind === 'roots' ? text(`Found ${view.roots.length} root(s)`) : needs({ client_roots: inputRequired.listRoots() });
    },
  },
  test_input_required_result_request_state: {
    async run({ mcpReq }) {
      if (mcpReq.requestState()?.kind === 'request-state' && field(mcpReq.inputResponses, 'confirm', 'ok') === true) {
        return text('state-ok: requestState validated');
      }
      return needs({ confirm: ask('Please confirm', 'ok', 'boolean') }, { kind: 'request-state' });
    },
  },
  test_input_required_result_multiple_inputs: {
    async run({ mcpReq }) {
      const responses = mcpReq.inputResponses;
      const name = field(responses, 'user_name', 'name');
      const greeting = inputResponse(responses, 'greeting');
      const roots = inputResponse(responses, 'client_roots');
      if (mcpReq.requestState()?.kind === 'multiple-inputs' && name !== undefined && greeting.kind === 'sampling' && roots.kind === 'roots') {
        const said = greeting.result.content as { text?: string };
        return text(`Name: ${String(name)}; Greeting: ${said.text ?? ''}; Roots: ${roots.roots.length}`);
      }
      return needs(
        { user_name: ask('What is your name?', 'name'), greeting: sample('Generate a greeting', 50), client_roots: inputRequired.listRoots() },
        { kind: 'multiple-inputs' },
      );
    },
  },
  test_input_required_result_multi_round: {
    async run({ mcpReq }) {
      const state = mcpReq.requestState();
      const name = field(mcpReq.inputResponses, 'step1', 'name');
      const color = field(mcpReq.inputResponses, 'step2', 'color');
      if (state?.round === 2 && color !== undefined) return text(`Multi-round complete for ${String(state.name)} who likes ${String(color)}`);
      if (state?.round === 1 && name !== undefined) {
        return needs({ step2: ask('Step 2: What is your favorite color?', 'color') }, { round: 2, name });
      }
      return needs({ step1: ask('Step 1: What is your name?', 'name') }, { round: 1 });
    },
  },
  test_input_required_result_tampered_state: {
    async run({ mcpReq }) {
      // A requestState that fails the codec's check never reaches this handler (-32602).
      if (mcpReq.requestState()?.kind === 'tamper-test' && field(mcpReq.inputResponses, 'confirm', 'ok') !== undefined) {
        return text('integrity-ok: state verified');
      }
      return needs({ confirm: ask('Please confirm', 'ok', 'boolean') }, { kind: 'tamper-test' });
    },
  },
  test_input_required_result_capabilities: {
    async run({ mcpReq }) {
      if (mcpReq.inputResponses && Object.keys(mcpReq.inputResponses).length) {
        return text(`capabilities-ok: received ${Object.keys(mcpReq.inputResponses).join(',')}`);
      }
      const declared = (mcpReq.envelope?.[CLIENT_CAPABILITIES_META_KEY] ?? {}) as ClientCapabilities;
      const wanted: Record<string, InputRequest> = {
        ...(declared.elicitation ? { elicit_input: ask('Elicitation input', 'value') } : {}),
        ...(declared.sampling ? { sample_input: sample('Sample request', 50) } : {}),
      };
      return Object.keys(wanted).length ? needs(wanted, { kind: 'capabilities-test' }) : text('No supported capabilities declared');
    },
  },
  test_custom_header_echo: {
    inputSchema: { type: 'object', properties: { region: { type: 'string', 'x-mcp-header': 'Region' } }, required: ['region'] },
    run: async (_ctx, args) => text(`region=${String(args.region)}`),
  },
};

function fixtureServer(): Server {
  const server = new Server(
    { name: 'conformance-fixtures-2026', version: '1.0.0' },
    { capabilities: { tools: {}, prompts: {} }, requestState: { verify: codec.verify } },
  );
  server.setRequestHandler('tools/list', () => ({
    tools: Object.entries(tools).map(([name, t]) => ({
      name,
      description: `conformance fixture ${name}`,
      inputSchema: (t.inputSchema ?? EMPTY) as { type: 'object' },
    })),
  }));
  server.setRequestHandler('tools/call', async (request, ctx) => {
    const tool = tools[request.params.name];
    if (!tool) return { content: [{ type: 'text', text: `Unknown tool: ${request.params.name}` }], isError: true };
    return (await tool.run(ctx as unknown as Ctx, request.params.arguments ?? {})) as never;
  });
  server.setRequestHandler('prompts/list', () => ({
    prompts: [{ name: 'test_input_required_result_prompt', description: "A prompt that needs the user's context first" }],
  }));
  server.setRequestHandler('prompts/get', async (request, ctx) => {
    if (request.params.name !== 'test_input_required_result_prompt') throw new Error(`Unknown prompt: ${request.params.name}`);
    const context = field((ctx as unknown as Ctx).mcpReq.inputResponses, 'user_context', 'context');
    if (context === undefined) return (await needs({ user_context: ask('What context should the prompt use?', 'context') })) as never;
    return { messages: [{ role: 'user', content: { type: 'text', text: `Prompt with context: ${String(context)}` } }] };
  });
  return server;
}

/** Serves the fixture on a free loopback port until `close()`. */
export function startStatelessFixture(): ReturnType<typeof serveMcp> {
  return serveMcp(() => fixtureServer());
}
