// `postern keys rotate`: a new signing key for new tokens; a running server on the same store
// signs with it within a second.
import type { Config } from '../config/schema.js';
import { rotateSigningKey } from '../oauth/keys.js';
import { openStore } from '../store/index.js';

export async function runKeys(config: Config, args: string[]): Promise<number> {
  if (args[0] !== 'rotate') {
    process.stderr.write('usage: postern keys rotate\n');
    return 2;
  }
  const store = await openStore(config);
  try {
    const keys = await rotateSigningKey(store);
    process.stdout.write(
      `new signing key ${keys.active.jwk.kid}; ${keys.all.length - 1} older key(s) stay valid until their tokens expire.\n` +
        'A running Postern on this store signs new tokens with it within a second.\n',
    );
    return 0;
  } finally {
    await store.close();
  }
}
