/**
 * A fixed-capacity ring: pushing past capacity overwrites the oldest item, so a status view's
 * history (samples, checkpoints, restarts, dead letters) never grows with the job's age.
 * @example
 * ```ts
 * const r = new RingBuffer<number>(2); r.push(1); r.push(2); r.push(3); r.toArray() // [2, 3]
 * ```
 */
export class RingBuffer<T> {
  private readonly items: Array<T | undefined>;
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    this.items = new Array(capacity);
  }

  push(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** How many items it holds (at most `capacity`). */
  get length(): number {
    return this.count;
  }

  /** The newest item, if any. */
  last(): T | undefined {
    return this.count === 0 ? undefined : this.items[(this.next - 1 + this.capacity) % this.capacity];
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    const start = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) out.push(this.items[(start + i) % this.capacity]!);
    return out;
  }
}
