/** Largest integer key the dense table may hold (a table of 2^20 slots is 4 MB). */
const DENSE_LIMIT = 1 << 20;
const NONE = -1;

/**
 * Key → slot index of a keyed operator (a running reduce's values, a window's key slots).
 * Small non-negative integer keys (ids, partitions, the usual `keyBy(r => r.userId)`) are looked
 * up in a dense Int32Array: an indexed load instead of a Map lookup, the largest cost of a keyed
 * record once its state lives in slot arrays. Other keys (strings, big or negative numbers) use a
 * Map. The dense table grows only while it stays within a small multiple of the keys it holds,
 * so a few huge ids do not allocate megabytes; such keys go to the Map, and a lookup that misses
 * the table looks there too.
 */
export class KeyIndex<K> {
  private dense = new Int32Array(0);
  private readonly sparse = new Map<K, number>();
  private denseCount = 0;

  /** The key's slot, or -1. */
  get(key: K): number {
    if (typeof key === 'number') {
      const k = key as number;
      if (k < this.dense.length && k >= 0 && (k | 0) === k) {
        const slot = this.dense[k]!;
        if (slot !== NONE || this.sparse.size === 0) return slot;
      }
    }
    const slot = this.sparse.get(key);
    return slot === undefined ? NONE : slot;
  }

  /** Gives `key` the slot `slot` (the key must have none). */
  set(key: K, slot: number): void {
    if (typeof key === 'number' && this.fitsDense(key as number)) {
      this.dense[key as number] = slot;
      this.denseCount++;
    } else this.sparse.set(key, slot);
  }

  /** Forgets the key's slot. */
  delete(key: K): void {
    if (typeof key === 'number') {
      const k = key as number;
      if (k < this.dense.length && k >= 0 && (k | 0) === k && this.dense[k] !== NONE) {
        this.dense[k] = NONE;
        this.denseCount--;
        return;
      }
    }
    this.sparse.delete(key);
  }

  /** Keys indexed. */
  get size(): number {
    return this.denseCount + this.sparse.size;
  }

  /** True when `k` belongs in the dense table, grown to hold it if that keeps the table dense enough. */
  private fitsDense(k: number): boolean {
    if (!(k >= 0 && k < DENSE_LIMIT && (k | 0) === k)) return false;
    if (k < this.dense.length) return true;
    let length = Math.max(1024, this.dense.length);
    while (length <= k) length *= 2;
    // At most 16 table entries per key held (and 1024 in any case): a table of 4 bytes per entry stays within ~64 bytes per key, less than a Map's.
    if (length > 1024 && length > 16 * (this.size + 1)) return false;
    const grown = new Int32Array(length).fill(NONE);
    grown.set(this.dense);
    this.dense = grown;
    return true;
  }
}
