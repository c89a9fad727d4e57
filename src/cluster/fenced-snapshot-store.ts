import type { SnapshotStore } from '../checkpoint/stores/snapshot-store.ts';
import { checkIfSuspect, type AttemptFence } from '../runtime/attempt-fence.ts';

/**
 * The snapshot store as one attempt of a clustered job sees it: writes and deletes of a stale
 * attempt are refused (`StaleAttemptError`), so a node that resumes after a stall can neither
 * complete a checkpoint of the abandoned attempt (its metadata write fails), nor overwrite or
 * delete what the current attempt wrote under the same keys. Checkpoint writes ask the shared
 * state every time (one KV read, shared by concurrent writes); the frequent local (one-actor
 * recovery) snapshots only when the fence is suspect. Reads pass through.
 * @example
 * ```ts
 * const store = fencedSnapshotStore(shared, epochs.fence(attempt, () => onTime))
 * ```
 */
export function fencedSnapshotStore(inner: SnapshotStore, fence: AttemptFence): SnapshotStore {
  const guard = (key: string): Promise<void> | undefined => (key.includes('/local/') ? checkIfSuspect(fence) : fence.check());
  return {
    put: async (key, bytes) => {
      await guard(key);
      await inner.put(key, bytes);
    },
    delete: async (key) => {
      await guard(key);
      await inner.delete(key);
    },
    get: (key) => inner.get(key),
    list: (prefix) => inner.list(prefix),
    describe: () => inner.describe(),
    volatile: inner.volatile,
  };
}
