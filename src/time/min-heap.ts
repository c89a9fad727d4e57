/**
 * A min-queue of items ordered by a numeric time, ties in insertion order: the timer queue of
 * windows and timers. Plain arrays, no allocation per operation beyond the stored item.
 *
 * Timers mostly arrive in time order (a session of an in-order stream ends `gap` after its last
 * record, a timer is set `n` ms after the record's time), so an item not earlier than the last
 * one queued that way goes to an in-order lane (a FIFO: O(1) push and pop); only an earlier one
 * goes to a binary heap. Popping takes the smaller head of the two. For session-count this
 * halves the timer cost against a heap alone (10k live keys: a heap pop sifts ~14 levels).
 * @example
 * ```ts
 * const h = new MinHeap<string>(); h.push(5, 'b'); h.push(1, 'a'); h.pop() // 'a'
 * ```
 */
export class MinHeap<T> {
  private times: number[] = [];
  private seqs: number[] = [];
  private items: T[] = [];
  // The in-order lane, from `head`: times non-decreasing.
  private laneTimes: number[] = [];
  private laneItems: (T | undefined)[] = [];
  private head = 0;
  private seq = 0;

  get size(): number {
    return this.items.length + this.laneItems.length - this.head;
  }

  /** The smallest time, or Infinity when empty. */
  peekTime(): number {
    const h = this.times.length ? this.times[0]! : Infinity;
    const l = this.head < this.laneTimes.length ? this.laneTimes[this.head]! : Infinity;
    return h < l ? h : l;
  }

  /** The item with the smallest time, without removing it. */
  peekItem(): T | undefined {
    return this.fromLane() ? this.laneItems[this.head] : this.items[0];
  }

  push(time: number, item: T): void {
    // An emptied lane is reset by pop, so a non-empty array here holds queued items.
    const lane = this.laneTimes;
    if (lane.length === 0 || time >= lane[lane.length - 1]!) {
      this.laneTimes.push(time);
      this.laneItems.push(item);
      return;
    }
    this.times.push(time);
    this.seqs.push(this.seq++);
    this.items.push(item);
    this.up(this.items.length - 1);
  }

  /** Removes and returns the item with the smallest time. */
  pop(): T | undefined {
    if (this.fromLane()) {
      const item = this.laneItems[this.head];
      this.laneItems[this.head++] = undefined;
      if (this.head === this.laneItems.length) this.resetLane();
      else if (this.head >= 1024 && this.head * 2 >= this.laneItems.length) this.compactLane();
      return item;
    }
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
    const out = this.items.map((item, i): [number, T] => [this.times[i]!, item]);
    for (let i = this.head; i < this.laneItems.length; i++) out.push([this.laneTimes[i]!, this.laneItems[i]!]);
    return out;
  }

  /**
   * True when the next item comes from the lane. On equal times the lane goes first: an item
   * went to the heap only because the lane already held a later time, so every lane item of the
   * same time was queued before it.
   */
  private fromLane(): boolean {
    if (this.head >= this.laneTimes.length) return false;
    return this.items.length === 0 || this.laneTimes[this.head]! <= this.times[0]!;
  }

  private resetLane(): void {
    this.laneTimes.length = 0;
    this.laneItems.length = 0;
    this.head = 0;
  }

  /** Drops the popped front of the lane (amortised O(1): only once half of it is popped). */
  private compactLane(): void {
    const h = this.head;
    this.laneTimes.splice(0, h);
    this.laneItems.splice(0, h);
    this.head = 0;
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
