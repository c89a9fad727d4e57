import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { SnapshotStore } from '../checkpoint/stores/snapshot-store.ts';
import { SnapshotStoreError } from '../errors.ts';

/**
 * Snapshots of a job spread over `weir node`s, in a JetStream object store bucket every node
 * reaches, so a node that takes over a lost node's subtasks reads their checkpointed state.
 * An object becomes visible only once all its chunks are stored (its meta entry is written
 * last), so a reader sees the old snapshot or the new one, never a mix. The cluster uses it when
 * nodes have no shared `--checkpoint-dir`.
 * @example
 * ```ts
 * const store = await openBucketSnapshotStore(nc, 'weir_chk_counts')
 * ```
 */
export async function openBucketSnapshotStore(nc: NatsConnection, bucket: string): Promise<SnapshotStore> {
  let os: ObjectStore;
  try {
    os = await new Objm(jetstream(nc)).create(bucket);
  } catch (error) {
    throw new SnapshotStoreError(`object store ${bucket}`, error);
  }
  return {
    put: async (key, bytes) => {
      try {
        await os.putBlob({ name: key }, bytes);
      } catch (error) {
        throw new SnapshotStoreError(key, error);
      }
    },
    get: async (key) => {
      try {
        return (await os.getBlob(key)) ?? undefined;
      } catch (error) {
        throw new SnapshotStoreError(key, error);
      }
    },
    list: async (prefix) => {
      try {
        return (await os.list())
          .filter((o) => !o.deleted && o.name.startsWith(prefix))
          .map((o) => o.name)
          .sort();
      } catch (error) {
        throw new SnapshotStoreError(prefix, error);
      }
    },
    delete: async (key) => {
      try {
        await os.delete(key);
      } catch (error) {
        // Deleting what is already gone is fine (retention and aborts may race).
        if (!/not found/i.test((error as Error).message ?? '')) throw new SnapshotStoreError(key, error);
      }
    },
    describe: () => `JetStream object store ${bucket}`,
  };
}
