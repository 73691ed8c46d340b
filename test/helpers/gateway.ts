// A test Postern in front of the reference "everything" server over streamable HTTP, accepting one
// static token: before() starts both, after() stops them. The returned object holds them once started.
import { after, before } from 'node:test';
import { hashStaticToken } from '../../src/guard/static-tokens.js';
import { startHttpEverything } from './backends.js';
import { startTestPostern, type TestPostern } from './postern.js';

export interface EverythingGateway {
  p: TestPostern;
  backend: Awaited<ReturnType<typeof startHttpEverything>>;
}

export function useEverythingGateway(token: string): EverythingGateway {
  const at = {} as EverythingGateway;
  before(async () => {
    at.backend = await startHttpEverything();
    at.p = await startTestPostern({
      identity: { local: { enabled: false }, staticTokens: { ci: { hash: hashStaticToken(token) } } },
      mcpServers: { everything: { url: at.backend.url } },
    });
    await at.p.registry.waitReady(15_000);
  });
  after(async () => {
    await at.p?.destroy();
    await at.backend?.stop();
  });
  return at;
}
