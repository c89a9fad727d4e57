/**
 * A binary min-heap of items ordered by a numeric time, ties in insertion order: the timer queue
 * of windows and timers. Plain arrays, no allocation per operation beyond the stored item.
 * @example
 * ```ts
 * const h = new MinHeap<string>(); h.push(5, 'b'); h.push(1, 'a'); h.pop() // 'a'
 * ```
 */
export class MinHeap<T> {
  private times: number[] = [];
  private seqs: number[] = [];
  private items: T[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  /** The smallest time, or Infinity when empty. */
  peekTime(): number {
    return this.times.length ? this.times[0]! : Infinity;
  }

  /** The item with the smallest time, without removing it. */
  peekItem(): T | undefined {
    return this.items[0];
  }

  push(time: number, item: T): void {
    this.times.push(time);
    this.seqs.push(this.seq++);
    this.items.push(item);
    this.up(this.items.length - 1);
  }

  /** Removes and returns the item with the smallest time. */
  pop(): T | undefined {
    const n = this.items.length;
    if (n === 0) return undefined;
    const top = this.items[0];
    this.swap(0, n - 1);
    this.times.pop();
    this.seqs.pop();
    this.items.pop();
    this.down(0);
    return top;
  }

  /** Every (time, item), in no particular order (for snapshots). */
  entries(): Array<[number, T]> {
    return this.items.map((item, i) => [this.times[i]!, item]);
  }

  private less(a: number, b: number): boolean {
    return this.times[a]! < this.times[b]! || (this.times[a] === this.times[b] && this.seqs[a]! < this.seqs[b]!);
  }

  private swap(a: number, b: number): void {
    [this.times[a], this.times[b]] = [this.times[b]!, this.times[a]!];
    [this.seqs[a], this.seqs[b]] = [this.seqs[b]!, this.seqs[a]!];
    [this.items[a], this.items[b]] = [this.items[b]!, this.items[a]!];
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) return;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
