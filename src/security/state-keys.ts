import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { StateKeyError } from '../errors.ts';

/** A 256-bit data key and the id stored with every blob it encrypts. */
export interface DataKey {
  /** Stored in clear in each blob's header: names the key, never derived from it reversibly. */
  readonly id: string;
  /** 32 bytes (AES-256). */
  readonly key: Uint8Array;
}

/**
 * Where encryption keys come from, shaped like a KMS client: one key encrypts new blobs, any
 * key the provider still knows decrypts old ones. Rotation: make a new key current and keep the
 * old ones readable; blobs carry the id of the key that sealed them.
 * @example
 * ```ts
 * const kms: StateKeyProvider = {
 *   currentKey: async () => ({ id: 'k2', key: await myKms.dataKey('k2') }),
 *   keyById: async (id) => ({ id, key: await myKms.dataKey(id) }),
 *   describe: () => 'my KMS',
 * }
 * ```
 */
export interface StateKeyProvider {
  /** The key new blobs are sealed with. */
  currentKey(): Promise<DataKey> | DataKey;
  /** The key with this id, or undefined when the provider does not know it. */
  keyById(id: string): Promise<DataKey | undefined> | DataKey | undefined;
  /** Where the keys come from, for messages (never the keys). */
  describe(): string;
}

/** An id for a key given without one: a short fingerprint (a hash prefix reveals nothing usable of a random key). */
function fingerprint(key: Uint8Array): string {
  return `k${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

function decodeKey(text: string, where: string): Uint8Array {
  const t = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  // The message never repeats the text: it is a secret, even a malformed one.
  if (bytes.length !== 32) throw new StateKeyError(`${where}: a state key must be 32 bytes as 64 hex digits or base64 (got ${bytes.length} bytes)`);
  return new Uint8Array(bytes);
}

/**
 * Keys from text: entries `[<id>:]<key>` separated by commas or newlines, each key 32 bytes in
 * hex or base64; the first entry is current, the others only decrypt (rotation). An entry
 * without an id gets a fingerprint of the key as its id.
 * @example
 * ```ts
 * const keys = parseStateKeys('k2:' + newKey.toString('base64') + ',k1:' + oldKey.toString('base64'), 'WEIR_STATE_KEY')
 * ```
 */
export function parseStateKeys(text: string, where: string): StateKeyProvider {
  const entries = text.split(/[,\n]/).map((e) => e.trim()).filter((e) => e && !e.startsWith('#'));
  if (entries.length === 0) throw new StateKeyError(`${where} holds no key`);
  const keys = new Map<string, DataKey>();
  for (const entry of entries) {
    // ':' never occurs in hex or base64, so it separates an id unambiguously.
    const colon = entry.indexOf(':');
    const key = decodeKey(colon >= 0 ? entry.slice(colon + 1) : entry, where);
    const id = colon >= 0 ? entry.slice(0, colon).trim() : fingerprint(key);
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) throw new StateKeyError(`${where}: a key id may contain only letters, digits, '_', '.' and '-' (1-64 characters)`);
    if (keys.has(id)) throw new StateKeyError(`${where}: key id '${id}' appears twice`);
    const k: DataKey = { id, key };
    keys.set(id, k);
  }
  return staticStateKeys([...keys.values()], where);
}

/**
 * A provider over keys held in memory: the first is current.
 * @example
 * ```ts
 * const keys = staticStateKeys([{ id: 'k1', key: randomBytes(32) }])
 * ```
 */
export function staticStateKeys(keys: DataKey[], where = 'static keys'): StateKeyProvider {
  if (keys.length === 0) throw new StateKeyError(`${where}: no key`);
  for (const k of keys) if (k.key.length !== 32) throw new StateKeyError(`${where}: key '${k.id}' is ${k.key.length} bytes, not 32`);
  const byId = new Map(keys.map((k) => [k.id, k]));
  return { currentKey: () => keys[0]!, keyById: (id) => byId.get(id), describe: () => where };
}

/**
 * The keys configured for this process: `WEIR_STATE_KEY` (entries as {@link parseStateKeys}
 * reads them) or `WEIR_STATE_KEY_FILE` (a file of such entries, one per line); undefined when
 * neither is set (state is then stored unencrypted).
 */
export function stateKeysFromEnv(env: NodeJS.ProcessEnv = process.env): StateKeyProvider | undefined {
  if (env.WEIR_STATE_KEY) return parseStateKeys(env.WEIR_STATE_KEY, 'WEIR_STATE_KEY');
  const file = env.WEIR_STATE_KEY_FILE;
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new StateKeyError(`WEIR_STATE_KEY_FILE ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return parseStateKeys(text, `WEIR_STATE_KEY_FILE ${file}`);
}
