// Token signing keys, kept in the store: created on first start, rotated with
// `postern keys rotate`, which a running server follows within a second (the store's change
// signal, "signing_keys"). A rotated-out key stays published (and trusted) until every token it
// signed has expired, then it is dropped.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { SettingStore, ChangeSignal } from '../store/types.js';
import { nowSeconds } from '../store/types.js';

const SETTING = 'signing_keys';
export const SIGNING_ALG = 'RS256';

interface StoredKey {
  /** Private JWK with kid, alg and use. */
  jwk: JWK & { kid: string };
  createdAt: number;
  /** Set when a newer key took over; the key is kept until retiredAt + keepFor. */
  retiredAt?: number;
}

export interface SigningKeys {
  /** The key that signs new tokens. */
  active: StoredKey;
  /** Every private key still published, active first. */
  all: StoredKey[];
  publicJwks: { keys: JWK[] };
}

async function newKey(): Promise<StoredKey> {
  // RS256: verification, the hot-path operation, is several times faster than ES256's.
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { jwk: { ...jwk, kid, alg: SIGNING_ALG, use: 'sig' }, createdAt: nowSeconds() };
}

const toPublic = ({ jwk }: StoredKey): JWK => ({ kty: jwk.kty, n: jwk.n, e: jwk.e, kid: jwk.kid, alg: jwk.alg, use: 'sig' });

function view(keys: StoredKey[]): SigningKeys {
  return { active: keys[0], all: keys, publicJwks: { keys: keys.map(toPublic) } };
}

async function read(store: SettingStore & ChangeSignal): Promise<StoredKey[]> {
  const raw = await store.getSetting(SETTING);
  return raw ? (JSON.parse(raw) as StoredKey[]) : [];
}

/** The stored keys; on a store with none, the first one, made and stored. */
async function readOrCreate(store: SettingStore & ChangeSignal): Promise<StoredKey[]> {
  const keys = await read(store);
  if (keys.length > 0) return keys;
  // Replicas starting together on an empty store: the first key stored is everyone's.
  return JSON.parse(await store.addSetting(SETTING, JSON.stringify([await newKey()]))) as StoredKey[];
}

/**
 * Makes the first signing key on a store that has none. The serve command starts it as soon as
 * the store is open, so that the RSA key is generated on the thread pool while the server's
 * modules load, not after them; `loadSigningKeys` then finds it stored.
 */
export async function ensureSigningKey(store: SettingStore & ChangeSignal): Promise<void> {
  await readOrCreate(store);
}

/** Loads the keys, creating the first one, and drops retired keys older than `keepFor` seconds. */
export async function loadSigningKeys(store: SettingStore & ChangeSignal, keepFor: number): Promise<SigningKeys> {
  const keys = await readOrCreate(store);
  const now = nowSeconds();
  const kept = keys.filter((k) => k.retiredAt === undefined || k.retiredAt + keepFor > now);
  if (kept.length === 0) kept.push(await newKey());
  if (kept.length !== keys.length) await store.putSetting(SETTING, JSON.stringify(kept));
  return view(kept);
}

/** Makes a fresh key the active one; the old ones keep verifying until their tokens expire. */
export async function rotateSigningKey(store: SettingStore & ChangeSignal): Promise<SigningKeys> {
  const keys = await read(store);
  const now = nowSeconds();
  const next = [await newKey(), ...keys.map((k) => ({ ...k, retiredAt: k.retiredAt ?? now }))];
  await store.putSetting(SETTING, JSON.stringify(next));
  await store.announceChange('signing_keys');
  return view(next);
}

/**
 * Calls `apply` with the stored keys each time another key becomes the active one (a rotation in
 * this process or in another on the same store). Reloads run one after the other.
 */
export function followSigningKeys(
  store: SettingStore & ChangeSignal,
  keepFor: number,
  current: SigningKeys,
  apply: (keys: SigningKeys) => void,
  onError: (err: unknown) => void,
): () => void {
  let active = current.active.jwk.kid;
  let reloads = Promise.resolve();
  const reload = async () => {
    const keys = await loadSigningKeys(store, keepFor);
    if (keys.active.jwk.kid === active) return;
    active = keys.active.jwk.kid;
    apply(keys);
  };
  return store.onChange('signing_keys', () => {
    reloads = reloads.then(reload).catch(onError);
  });
}
