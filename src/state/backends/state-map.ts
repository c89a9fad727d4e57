/**
 * The entries of one named keyed state: user key → stored entry. The heap backend keeps them in
 * a plain Map; the lmdb backend keeps them on disk behind a bounded write cache. State objects
 * that change an entry in place (a list push, a map put) call {@link StateMap.touch} after, so a
 * disk-backed map writes it back.
 */
export interface StateMap<K, S> extends Iterable<[K, S]> {
  get(key: K): S | undefined;
  set(key: K, value: S): void;
  delete(key: K): void;
  /** `value`, the entry of `key`, was changed in place. */
  touch(key: K, value: S): void;
  clear(): void;
  keys(): Iterable<K>;
  /** Calls `fn` for every entry (no pair array per entry, unlike the iterator). */
  forEach(fn: (value: S, key: K) => void): void;
  /** A batch ended: a disk-backed map may write its cache back now (never per record). */
  endBatch(): void;
  /** Writes every cached change through (before a snapshot reads the store underneath). */
  flush(): void;
}

/** Opens the {@link StateMap} of each named state of one operator instance. */
export interface StateMapFactory {
  open<K, S>(state: string): StateMap<K, S>;
  /** Releases what the maps hold (files, handles). */
  close(): void;
  /** Human-readable name, for messages and metrics. */
  readonly kind: 'heap' | 'lmdb';
  /**
   * A consistent read-only view of every state's entries as they are on disk now (lmdb: a read
   * transaction, so nothing is copied and writes go on), for a local snapshot; its id is released
   * with {@link StateMapFactory.releaseView}. Absent: the backend has no such view (the heap).
   */
  openView?(): number;
  /** Replaces the entries of states `names` by what view `id` holds, streamed in chunks (the maps' caches must be empty). */
  restoreView?(id: number, names: string[]): void;
  releaseView?(id: number): void;
  /** The entries of key group `group` of state `state` as view `id` holds them, as two columns. */
  readGroup?(id: number, state: string, group: number): [unknown[], unknown[]];
}

/** The heap backend's map: a Map whose `touch` and `endBatch` cost nothing. */
export class HeapStateMap<K, S> extends Map<K, S> implements StateMap<K, S> {
  override delete(key: K): boolean {
    return super.delete(key);
  }

  touch(): void {}

  endBatch(): void {}

  flush(): void {}
}

/** Heap maps for every state. */
export const heapStateMaps: StateMapFactory = {
  kind: 'heap',
  open: <K, S>() => new HeapStateMap<K, S>(),
  close: () => {},
};
