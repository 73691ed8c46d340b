// The backend the conformance suite's server scenarios expect behind the gateway: the tools,
// resources and prompts of the suite's reference "everything" server (test_simple_text,
// test://static-text, test_simple_prompt, …), written against the MCP SDK's low-level Server and
// served over stdio on the 2025-era protocol. Postern lists it unprefixed, so the scenarios see
// the names they call. Its diagnostic tools for the stateless era (test_missing_capability,
// test_streaming_elicitation, test_logging_tool) do what any 2025-era server does — ask the
// client for sampling or elicitation in the middle of the call, log without being asked — so
// that what the 2026-07-28 scenarios check is the gateway's own doing: refusing a call that needs
// a capability the client did not declare, asking only through input_required, and relaying no
// log message to a request that names no log level. Its list-change triggers let the scenarios
// see a 2025-era backend's list_changed reach 2026-era clients' subscriptions/listen streams.
import { Server } from '@modelcontextprotocol/server';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';

const IMAGE = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const AUDIO = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=';
const EMPTY = { type: 'object', properties: {} } as const;

/** The JSON Schema 2020-12 input schema the suite checks survives tools/list untouched. */
const SCHEMA_2020_12 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: { address: { $anchor: 'addressDef', type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
    contactMethod: { type: 'string', enum: ['phone', 'email'] },
    phone: { type: 'string' },
    email: { type: 'string' },
  },
  allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
  if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
  // biome-ignore lint/suspicious/noThenProperty: a JSON Schema if/then/else, not a thenable
  then: { required: ['phone'] },
  else: { required: ['email'] },
  additionalProperties: false,
};

const ELICIT_DEFAULTS = {
  message: 'Please review and update the form fields with defaults',
  requestedSchema: {
    type: 'object',
    properties: {
      name: { type: 'string', description: 'User name', default: 'John Doe' },
      age: { type: 'integer', description: 'User age', default: 30 },
      score: { type: 'number', description: 'User score', default: 95.5 },
      status: { type: 'string', description: 'User status', enum: ['active', 'inactive', 'pending'], default: 'active' },
      verified: { type: 'boolean', description: 'Verification status', default: true },
    },
    required: [],
  },
};

const ELICIT_ENUMS = {
  message: 'Please select options from the enum fields',
  requestedSchema: {
    type: 'object',
    properties: {
      untitledSingle: { type: 'string', description: 'Select one option', enum: ['option1', 'option2', 'option3'] },
      titledSingle: {
        type: 'string',
        description: 'Select one option with titles',
        oneOf: [
          { const: 'value1', title: 'First Option' },
          { const: 'value2', title: 'Second Option' },
          { const: 'value3', title: 'Third Option' },
        ],
      },
      legacyEnum: {
        type: 'string',
        description: 'Select one option (legacy)',
        enum: ['opt1', 'opt2', 'opt3'],
        enumNames: ['Option One', 'Option Two', 'Option Three'],
      },
      untitledMulti: {
        type: 'array',
        description: 'Select multiple options',
        minItems: 1,
        maxItems: 3,
        items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
      },
      titledMulti: {
        type: 'array',
        description: 'Select multiple options with titles',
        minItems: 1,
        maxItems: 3,
        items: {
          anyOf: [
            { const: 'value1', title: 'First Choice' },
            { const: 'value2', title: 'Second Choice' },
            { const: 'value3', title: 'Third Choice' },
          ],
        },
      },
    },
    required: [],
  },
};

type Content = Record<string, unknown>;
type Ctx = {
  mcpReq: {
    _meta?: { progressToken?: string | number };
    notify(n: { method: string; params?: Record<string, unknown> }): Promise<void>;
    send(r: { method: string; params?: Record<string, unknown> }): Promise<unknown>;
  };
};

const text = (t: string) => ({ content: [{ type: 'text', text: t }] });
const pause = () => new Promise((r) => setTimeout(r, 50));

async function sample(ctx: Ctx, prompt: string) {
  try {
    const result = (await ctx.mcpReq.send({
      method: 'sampling/createMessage',
      params: { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 },
    })) as { content?: { text?: string } };
    return text(`LLM response: ${result.content?.text ?? 'No response'}`);
  } catch (err) {
    return text(`Sampling not supported or error: ${(err as Error).message}`);
  }
}

async function elicit(ctx: Ctx, params: Record<string, unknown>, label: string) {
  try {
    const result = (await ctx.mcpReq.send({ method: 'elicitation/create', params })) as { action: string; content?: unknown };
    return text(`${label}: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
  } catch (err) {
    return text(`Elicitation not supported or error: ${(err as Error).message}`);
  }
}

const tools: Array<{
  name: string;
  description: string;
  inputSchema?: Record<string, unknown>;
  run(args: Record<string, unknown>, ctx: Ctx): Promise<{ content: Content[]; isError?: boolean }>;
}> = [
  { name: 'test_simple_text', description: 'Tests simple text content response', run: async () => text('This is a simple text response for testing.') },
  {
    name: 'test_image_content',
    description: 'Tests image content response',
    run: async () => ({ content: [{ type: 'image', data: IMAGE, mimeType: 'image/png' }] }),
  },
  {
    name: 'test_audio_content',
    description: 'Tests audio content response',
    run: async () => ({ content: [{ type: 'audio', data: AUDIO, mimeType: 'audio/wav' }] }),
  },
  {
    name: 'test_embedded_resource',
    description: 'Tests embedded resource content response',
    run: async () => ({
      content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }],
    }),
  },
  {
    name: 'test_multiple_content_types',
    description: 'Tests response with multiple content types (text, image, resource)',
    run: async () => ({
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: IMAGE, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) },
        },
      ],
    }),
  },
  {
    name: 'test_tool_with_logging',
    description: 'Tests tool that emits log messages during execution',
    async run(_args, ctx) {
      for (const data of ['Tool execution started', 'Tool processing data', 'Tool execution completed']) {
        await ctx.mcpReq.notify({ method: 'notifications/message', params: { level: 'info', data } });
        await pause();
      }
      return text('Tool with logging executed successfully');
    },
  },
  {
    name: 'test_tool_with_progress',
    description: 'Tests tool that reports progress notifications',
    async run(_args, ctx) {
      const progressToken = ctx.mcpReq._meta?.progressToken ?? 0;
      for (const progress of [0, 50, 100]) {
        await ctx.mcpReq.notify({
          method: 'notifications/progress',
          params: { progressToken, progress, total: 100, message: `Completed step ${progress} of 100` },
        });
        await pause();
      }
      return text(String(progressToken));
    },
  },
  {
    name: 'test_error_handling',
    description: 'Tests error response handling',
    run: async () => ({ content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }], isError: true }),
  },
  {
    name: 'test_sampling',
    description: 'Tests server-initiated sampling (LLM completion request)',
    inputSchema: { type: 'object', properties: { prompt: { type: 'string', description: 'The prompt to send to the LLM' } }, required: ['prompt'] },
    run: (args, ctx) => sample(ctx, String(args.prompt)),
  },
  {
    name: 'test_elicitation',
    description: 'Tests server-initiated elicitation (user input request)',
    inputSchema: { type: 'object', properties: { message: { type: 'string', description: 'The message to show the user' } }, required: ['message'] },
    run: (args, ctx) =>
      elicit(
        ctx,
        {
          message: String(args.message),
          requestedSchema: { type: 'object', properties: { response: { type: 'string', description: "User's response" } }, required: ['response'] },
        },
        'User response',
      ),
  },
  {
    name: 'test_elicitation_sep1034_defaults',
    description: 'Tests elicitation with default values per SEP-1034',
    run: (_a, ctx) => elicit(ctx, ELICIT_DEFAULTS, 'Elicitation completed'),
  },
  {
    name: 'test_elicitation_sep1330_enums',
    description: 'Tests elicitation with enum schema improvements per SEP-1330',
    run: (_a, ctx) => elicit(ctx, ELICIT_ENUMS, 'Elicitation completed'),
  },
  {
    name: 'test_missing_capability',
    description: 'Asks the client for sampling during the call (SEP-2575: needs the sampling capability)',
    run: (_args, ctx) => sample(ctx, 'Capability probe'),
  },
  {
    name: 'test_streaming_elicitation',
    description: 'Reports progress, then asks the client for elicitation during the call',
    async run(_args, ctx) {
      const progressToken = ctx.mcpReq._meta?.progressToken;
      if (progressToken !== undefined) {
        await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, progress: 50, total: 100 } });
      }
      return elicit(
        ctx,
        { message: 'Please confirm', requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } },
        'Streaming elicitation completed',
      );
    },
  },
  {
    name: 'test_logging_tool',
    description: 'Logs a message during the call, whatever level the client asked for',
    async run(_args, ctx) {
      await ctx.mcpReq.notify({ method: 'notifications/message', params: { level: 'info', data: 'Diagnostic log message' } });
      return text('Logging evaluated');
    },
  },
  {
    name: 'test_trigger_tool_change',
    description: 'Says that the tool list changed (clients listening for it are told)',
    async run() {
      await server.sendToolListChanged();
      return text('Tool list change announced');
    },
  },
  {
    name: 'test_trigger_prompt_change',
    description: 'Says that the prompt list changed (clients listening for it are told)',
    async run() {
      await server.sendPromptListChanged();
      return text('Prompt list change announced');
    },
  },
  {
    name: 'json_schema_2020_12_tool',
    description: 'Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)',
    inputSchema: SCHEMA_2020_12,
    run: async (args) => text(`JSON Schema 2020-12 tool called with: ${JSON.stringify(args)}`),
  },
];

const resources = [
  { uri: 'test://static-text', name: 'static-text', title: 'Static Text Resource', description: 'A static text resource for testing', mimeType: 'text/plain' },
  {
    uri: 'test://static-binary',
    name: 'static-binary',
    title: 'Static Binary Resource',
    description: 'A static binary resource (image) for testing',
    mimeType: 'image/png',
  },
  {
    uri: 'test://watched-resource',
    name: 'watched-resource',
    title: 'Watched Resource',
    description: 'A resource for subscription tests',
    mimeType: 'text/plain',
  },
];

function read(uri: string) {
  if (uri === 'test://static-text') return { uri, mimeType: 'text/plain', text: 'This is the content of the static text resource.' };
  if (uri === 'test://static-binary') return { uri, mimeType: 'image/png', blob: IMAGE };
  if (uri === 'test://watched-resource') return { uri, mimeType: 'text/plain', text: 'Watched resource content' };
  const id = /^test:\/\/template\/([^/]+)\/data$/.exec(uri)?.[1];
  if (id !== undefined) return { uri, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) };
  return undefined;
}

const prompts = [
  { name: 'test_simple_prompt', title: 'Simple Test Prompt', description: 'A simple prompt without arguments' },
  {
    name: 'test_prompt_with_arguments',
    title: 'Prompt With Arguments',
    description: 'A prompt with required arguments',
    arguments: [
      { name: 'arg1', description: 'First test argument', required: true },
      { name: 'arg2', description: 'Second test argument', required: true },
    ],
  },
  {
    name: 'test_prompt_with_embedded_resource',
    title: 'Prompt With Embedded Resource',
    description: 'A prompt that includes an embedded resource',
    arguments: [{ name: 'resourceUri', description: 'URI of the resource to embed', required: true }],
  },
  { name: 'test_prompt_with_image', title: 'Prompt With Image', description: 'A prompt that includes image content' },
];

function prompt(name: string, args: Record<string, string> = {}) {
  const user = (content: Content) => ({ role: 'user', content });
  switch (name) {
    case 'test_simple_prompt':
      return [user({ type: 'text', text: 'This is a simple prompt for testing.' })];
    case 'test_prompt_with_arguments':
      return [user({ type: 'text', text: `Prompt with arguments: arg1='${args.arg1}', arg2='${args.arg2}'` })];
    case 'test_prompt_with_embedded_resource':
      return [
        user({ type: 'resource', resource: { uri: args.resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } }),
        user({ type: 'text', text: 'Please process the embedded resource above.' }),
      ];
    case 'test_prompt_with_image':
      return [user({ type: 'image', data: IMAGE, mimeType: 'image/png' }), user({ type: 'text', text: 'Please analyze the image above.' })];
    default:
      return undefined;
  }
}

const server = new Server(
  { name: 'conformance-fixtures', version: '1.0.0' },
  { capabilities: { tools: { listChanged: true }, resources: { subscribe: true }, prompts: { listChanged: true }, logging: {}, completions: {} } },
);
server.setRequestHandler('tools/list', () => ({
  tools: tools.map(({ name, description, inputSchema }) => ({ name, description, inputSchema: (inputSchema ?? EMPTY) as { type: 'object' } })),
}));
server.setRequestHandler('tools/call', async (request, ctx) => {
  const tool = tools.find((t) => t.name === request.params.name);
  if (!tool) return { content: [{ type: 'text', text: `Unknown tool: ${request.params.name}` }], isError: true };
  return (await tool.run(request.params.arguments ?? {}, ctx as unknown as Ctx)) as never;
});
server.setRequestHandler('resources/list', () => ({ resources }));
server.setRequestHandler('resources/templates/list', () => ({
  resourceTemplates: [
    {
      uriTemplate: 'test://template/{id}/data',
      name: 'template',
      title: 'Resource Template',
      description: 'A resource template with parameter substitution',
      mimeType: 'application/json',
    },
  ],
}));
server.setRequestHandler('resources/read', (request) => {
  const contents = read(request.params.uri);
  if (!contents) throw new Error(`Resource not found: ${request.params.uri}`);
  return { contents: [contents] };
});
server.setRequestHandler('resources/subscribe', () => ({}));
server.setRequestHandler('resources/unsubscribe', () => ({}));
server.setRequestHandler('prompts/list', () => ({ prompts }));
server.setRequestHandler('prompts/get', (request) => {
  const messages = prompt(request.params.name, request.params.arguments);
  if (!messages) throw new Error(`Unknown prompt: ${request.params.name}`);
  return { messages } as never;
});
server.setRequestHandler('logging/setLevel', () => ({}));
server.setRequestHandler('completion/complete', () => ({ completion: { values: [], total: 0, hasMore: false } }));

await server.connect(new StdioServerTransport());
