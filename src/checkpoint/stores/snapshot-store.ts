/**
 * Where snapshots go: a key/value store of byte blobs. Keys are paths like
 * `job/local/count-0` or `job/chk-000042/count/kg-7`. Implementations: memory, directory, and
 * (distributed) the JetStream object store.
 */
export interface SnapshotStore {
  /** Writes atomically: a reader sees the old blob or the new one, never a mix. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The blob, or undefined when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Keys under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
  /** Human-readable location, for messages. */
  describe(): string;
  /**
   * True when blobs live only in this process's memory, so nothing put here outlives the
   * process: an actor may then keep its local (one-actor recovery) snapshots as values instead
   * of encoding them, where its operators allow it (see `Operator.snapshotByReference`). Such a
   * store has stored the blob when `put` returns (its promise only reports it), so an actor trims
   * its replay log at once.
   */
  readonly volatile?: boolean;
}
