import type { SnapshotStore } from '../checkpoint/stores/snapshot-store.ts';
import { isSealed, openBlob, sealBlob } from './blob-cipher.ts';
import { BlobRejectedError } from '../errors.ts';
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
 * A store without encryption that names the problem when it meets a sealed blob (written by a
 * process with a state key), instead of a decoder's "bad magic".
 */
function refusingSealed(inner: SnapshotStore): SnapshotStore {
  return {
    [ENCRYPTED]: true,
    volatile: inner.volatile,
    put: (key, bytes) => inner.put(key, bytes),
    get: async (key) => {
      const bytes = await inner.get(key);
      if (bytes && isSealed(bytes)) throw new BlobRejectedError(key, 'it is encrypted, and this process has no state key (set WEIR_STATE_KEY or WEIR_STATE_KEY_FILE as where it was written)', inner.describe());
      return bytes;
    },
    list: (prefix) => inner.list(prefix),
    delete: (key) => inner.delete(key),
    describe: () => inner.describe(),
  } as SnapshotStore;
}

/**
 * The store as this process keeps it: encrypted when `WEIR_STATE_KEY` or `WEIR_STATE_KEY_FILE`
 * is set and the store persists anything (memory stores never leave the process); otherwise
 * unchanged but for a clear error on meeting an encrypted blob.
 */
export function encryptAtRest(inner: SnapshotStore, env: NodeJS.ProcessEnv = process.env): SnapshotStore {
  if (inner.volatile || (inner as { [ENCRYPTED]?: true })[ENCRYPTED]) return inner;
  const keys = stateKeysFromEnv(env);
  return keys ? encryptedSnapshotStore(inner, keys) : refusingSealed(inner);
}
