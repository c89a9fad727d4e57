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
    const lastTime = this.times.pop()!;
    const lastSeq = this.seqs.pop()!;
    const lastItem = this.items.pop()!;
    if (n > 1) this.down(0, lastTime, lastSeq, lastItem);
    return top;
  }

  /** Every (time, item), in no particular order (for snapshots). */
  entries(): Array<[number, T]> {
    return this.items.map((item, i) => [this.times[i]!, item]);
  }

  // Sifting moves a hole instead of swapping: no temporary arrays on the hot path.
  private up(i: number): void {
    const times = this.times;
    const seqs = this.seqs;
    const items = this.items;
    const t = times[i]!;
    const q = seqs[i]!;
    const item = items[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = times[p]!;
      if (pt < t || (pt === t && seqs[p]! < q)) break;
      times[i] = pt;
      seqs[i] = seqs[p]!;
      items[i] = items[p]!;
      i = p;
    }
    times[i] = t;
    seqs[i] = q;
    items[i] = item;
  }

  private down(i: number, t: number, q: number, item: T): void {
    const times = this.times;
    const seqs = this.seqs;
    const items = this.items;
    const n = items.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let m = l;
      if (r < n && (times[r]! < times[l]! || (times[r] === times[l] && seqs[r]! < seqs[l]!))) m = r;
      const mt = times[m]!;
      if (t < mt || (t === mt && q < seqs[m]!)) break;
      times[i] = mt;
      seqs[i] = seqs[m]!;
      items[i] = items[m]!;
      i = m;
    }
    times[i] = t;
    seqs[i] = q;
    items[i] = item;
  }
}
