import type { SnapshotStore } from '../checkpoint/stores/snapshot-store.ts';
import { openBlob, sealBlob } from './blob-cipher.ts';
import { stateKeysFromEnv, type StateKeyProvider } from './state-keys.ts';

/** Marks stores already wrapped, so wrapping twice is harmless. */
const ENCRYPTED = Symbol('weir.encrypted-store');

/**
 * A {@link SnapshotStore} decorator that encrypts every blob at rest with AES-256-GCM: put seals
 * with the current key, get opens with the key named in the blob (older keys stay readable
 * after rotation) and refuses a blob that is not sealed or fails authentication with a
 * `BlobRejectedError` naming it. Keys (store paths) stay in clear; the blob's key is bound to
 * its contents, so moving a blob to another key is detected. Wraps any store (memory, directory,
 * JetStream object store, or another engineer's backend) without knowing its layout.
 * @example
 * ```ts
 * const store = encryptedSnapshotStore(new DirectorySnapshotStore('/var/lib/weir'), parseStateKeys(process.env.MY_KEYS!, 'MY_KEYS'))
 * ```
 */
export function encryptedSnapshotStore(inner: SnapshotStore, keys: StateKeyProvider): SnapshotStore {
  const store: SnapshotStore & { [ENCRYPTED]: true } = {
    [ENCRYPTED]: true,
    // Never volatile: actors must hand this store bytes to seal, not values kept by reference.
    volatile: false,
    put: async (key, bytes) => inner.put(key, await sealBlob(bytes, key, keys)),
    get: async (key) => {
      const sealed = await inner.get(key);
      return sealed === undefined ? undefined : openBlob(sealed, key, keys, inner.describe());
    },
    list: (prefix) => inner.list(prefix),
    delete: (key) => inner.delete(key),
    describe: () => `${inner.describe()} (encrypted, keys from ${keys.describe()})`,
  };
  return store;
}

/**
 * The store as this process keeps it: encrypted when `WEIR_STATE_KEY` or `WEIR_STATE_KEY_FILE`
 * is set and the store persists anything (memory stores never leave the process), unchanged otherwise.
 */
export function encryptAtRest(inner: SnapshotStore, env: NodeJS.ProcessEnv = process.env): SnapshotStore {
  if (inner.volatile || (inner as { [ENCRYPTED]?: true })[ENCRYPTED]) return inner;
  const keys = stateKeysFromEnv(env);
  return keys ? encryptedSnapshotStore(inner, keys) : inner;
}
