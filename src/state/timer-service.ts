import { MinHeap } from '../time/min-heap.ts';

/**
 * Per-key timers of one domain (event or processing time), as Flink's InternalTimerService: a
 * key has at most one timer per timestamp; deleting is lazy (the heap entry is skipped when it
 * comes up).
 */
export class KeyedTimers<K> {
  private heap = new MinHeap<K>();
  private registered = new Map<K, Set<number>>();

  /** Registers a timer for `key` at `time` (a second registration of the same pair is a no-op). */
  register(key: K, time: number): void {
    let set = this.registered.get(key);
    if (!set) this.registered.set(key, (set = new Set()));
    if (set.has(time)) return;
    set.add(time);
    this.heap.push(time, key);
  }

  delete(key: K, time: number): void {
    const set = this.registered.get(key);
    if (!set) return;
    set.delete(time);
    if (set.size === 0) this.registered.delete(key);
  }

  /** The earliest live timer's time, or undefined. */
  next(): number | undefined {
    this.skipDeleted();
    return this.heap.size > 0 ? this.heap.peekTime() : undefined;
  }

  /**
   * Removes and returns the key of the earliest timer due at or before `time` (its time is
   * `lastTime`), or undefined when none is due.
   */
  pollDue(time: number): K | undefined {
    this.skipDeleted();
    if (this.heap.size === 0 || this.heap.peekTime() > time) return undefined;
    this.lastTime = this.heap.peekTime();
    const key = this.heap.pop()!;
    this.delete(key, this.lastTime);
    return key;
  }

  /** Time of the timer {@link KeyedTimers.pollDue} returned last. */
  lastTime = -Infinity;

  get size(): number {
    let n = 0;
    for (const s of this.registered.values()) n += s.size;
    return n;
  }

  /** Every live (key, time). */
  entries(): Array<[K, number]> {
    const out: Array<[K, number]> = [];
    for (const [k, set] of this.registered) for (const t of set) out.push([k, t]);
    return out;
  }

  /** The key's timer times. */
  timesOf(key: K): number[] {
    const set = this.registered.get(key);
    return set ? [...set] : [];
  }

  /** Replaces the key's timers (applying a delta snapshot). */
  setTimes(key: K, times: number[]): void {
    this.registered.delete(key);
    for (const t of times) this.register(key, t);
  }

  /** Replaces all timers. */
  reset(entries: Iterable<[K, number]>): void {
    this.heap = new MinHeap<K>();
    this.registered = new Map();
    for (const [k, t] of entries) this.register(k, t);
  }

  private skipDeleted(): void {
    while (this.heap.size > 0) {
      const t = this.heap.peekTime();
      const key = this.heap.peekItem()!;
      if (this.registered.get(key)?.has(t)) return;
      this.heap.pop();
    }
  }
}
