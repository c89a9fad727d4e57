/** How far a slot due earlier than the list's tail walks back before it goes to the heap instead. */
const MAX_WALK = 8;
const NONE = -1;

/**
 * Slots (small integers: a keyed operator's key slots) by due time, ties in the order they were
 * scheduled. Due times mostly arrive in order (a session of an in-order stream ends `gap` after
 * its last record), so a slot goes to the tail of a doubly linked list kept in due order, its
 * links in typed arrays: scheduling, moving a slot to a later time (a session extended) and taking
 * the next due slot are a few array writes, with no allocation and no stale entries to skip. A
 * slot due earlier than a short walk back from the tail finds (out-of-order input) goes to a binary
 * heap; the next slot is the earlier of the list's head and the heap's top. The order is a total
 * one, (due, seq), so it does not depend on which structure holds a slot: a queue restored from
 * {@link SlotQueue.inOrder} fires in the same order as the one it was taken from.
 */
export class SlotQueue {
  /** Per slot: when it is due (Infinity: not queued). */
  due = new Float64Array(0).fill(Infinity);
  private seq = new Float64Array(0);
  /** Per slot: 0 not queued, 1 in the list, 2 in the heap. */
  private queued = new Uint8Array(0);
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  private head = NONE;
  private tail = NONE;
  // The heap holds (due, seq) as they were when pushed: a slot rescheduled since is stale there.
  private heapDue: number[] = [];
  private heapSeq: number[] = [];
  private heapSlots: number[] = [];
  /** Heap entries whose slot was rescheduled or removed since. */
  private stale = 0;
  private nextSeq = 0;
  /** Slots queued now. */
  size = 0;

  /** Makes room for slots below `capacity`. */
  grow(capacity: number): void {
    if (capacity <= this.due.length) return;
    const n = Math.max(capacity, this.due.length * 2, 1024);
    const due = new Float64Array(n).fill(Infinity);
    due.set(this.due);
    this.due = due;
    this.seq = copied(new Float64Array(n), this.seq);
    this.queued = copied(new Uint8Array(n), this.queued);
    this.prev = copied(new Int32Array(n), this.prev);
    this.next = copied(new Int32Array(n), this.next);
  }

  isQueued(slot: number): boolean {
    return this.queued[slot] !== 0;
  }

  /** Queues `slot` at `due`, or moves it there (behind the slots already due then). */
  schedule(slot: number, due: number): void {
    if (this.queued[slot] !== 0) this.remove(slot);
    this.due[slot] = due;
    this.seq[slot] = this.nextSeq++;
    this.size++;
    const dues = this.due;
    let at = this.tail;
    for (let walked = 0; at !== NONE && dues[at]! > due; walked++) {
      if (walked === MAX_WALK) {
        this.push(slot);
        return;
      }
      at = this.prev[at]!;
    }
    // Link after `at` (NONE: at the head).
    this.queued[slot] = 1;
    const after = at === NONE ? this.head : this.next[at]!;
    this.prev[slot] = at;
    this.next[slot] = after;
    if (after === NONE) this.tail = slot;
    else this.prev[after] = slot;
    if (at === NONE) this.head = slot;
    else this.next[at] = slot;
  }

  /** Takes `slot` out of the queue (its heap entry, if any, goes stale). */
  remove(slot: number): void {
    const q = this.queued[slot];
    if (q === 0) return;
    if (q === 1) {
      const p = this.prev[slot]!;
      const n = this.next[slot]!;
      if (p === NONE) this.head = n;
      else this.next[p] = n;
      if (n === NONE) this.tail = p;
      else this.prev[n] = p;
    } else if (++this.stale > 1024 && this.stale * 2 > this.heapSlots.length) {
      this.queued[slot] = 0;
      this.rebuildHeap();
    }
    this.queued[slot] = 0;
    this.due[slot] = Infinity;
    this.size--;
  }

  /** The next slot if it is due at or before `time` (taken out of the queue), else -1. */
  takeDue(time: number): number {
    this.dropStale();
    const l = this.head;
    const h = this.heapSlots.length > 0 ? this.heapSlots[0]! : NONE;
    let next: number;
    if (l === NONE) next = h;
    else if (h === NONE) next = l;
    else next = this.due[l]! < this.due[h]! || (this.due[l] === this.due[h] && this.seq[l]! < this.seq[h]!) ? l : h;
    if (next === NONE || this.due[next]! > time) return NONE;
    if (next === h) {
      this.pop();
      this.queued[next] = 0;
      this.due[next] = Infinity;
      this.size--;
    } else this.remove(next);
    return next;
  }

  /** The earliest due time, or undefined when empty. */
  peekDue(): number | undefined {
    this.dropStale();
    const l = this.head === NONE ? Infinity : this.due[this.head]!;
    const h = this.heapSlots.length > 0 ? this.heapDue[0]! : Infinity;
    const t = l < h ? l : h;
    return t === Infinity ? undefined : t;
  }

  /** Every queued slot in firing order (for snapshots: scheduling them in this order restores the order). */
  inOrder(): number[] {
    const fromHeap: number[] = [];
    for (let i = 0; i < this.heapSlots.length; i++) if (this.live(i)) fromHeap.push(this.heapSlots[i]!);
    const due = this.due;
    const seq = this.seq;
    const before = (a: number, b: number) => due[a]! < due[b]! || (due[a] === due[b] && seq[a]! < seq[b]!);
    fromHeap.sort((a, b) => (before(a, b) ? -1 : 1));
    const out: number[] = [];
    let j = 0;
    for (let l = this.head; l !== NONE; l = this.next[l]!) {
      while (j < fromHeap.length && before(fromHeap[j]!, l)) out.push(fromHeap[j++]!);
      out.push(l);
    }
    while (j < fromHeap.length) out.push(fromHeap[j++]!);
    return out;
  }

  private live(i: number): boolean {
    const s = this.heapSlots[i]!;
    return this.queued[s] === 2 && this.seq[s] === this.heapSeq[i];
  }

  private dropStale(): void {
    while (this.heapSlots.length > 0 && !this.live(0)) this.pop();
  }

  /** Drops the stale entries (they would stay until the time they were due): the heap stays bounded by its live slots. */
  private rebuildHeap(): void {
    const live: number[] = [];
    for (let i = 0; i < this.heapSlots.length; i++) if (this.live(i)) live.push(this.heapSlots[i]!);
    this.heapDue = [];
    this.heapSeq = [];
    this.heapSlots = [];
    this.stale = 0;
    for (const s of live) this.push(s);
  }

  // Binary heap on (due, seq); sifting moves a hole rather than swapping.
  private push(slot: number): void {
    this.queued[slot] = 2;
    const t = this.due[slot]!;
    const q = this.seq[slot]!;
    const due = this.heapDue;
    const seq = this.heapSeq;
    const slots = this.heapSlots;
    let i = slots.length;
    slots.push(slot);
    due.push(t);
    seq.push(q);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (due[p]! < t || (due[p] === t && seq[p]! < q)) break;
      due[i] = due[p]!;
      seq[i] = seq[p]!;
      slots[i] = slots[p]!;
      i = p;
    }
    due[i] = t;
    seq[i] = q;
    slots[i] = slot;
  }

  private pop(): void {
    if (!this.live(0)) this.stale--;
    const due = this.heapDue;
    const seq = this.heapSeq;
    const slots = this.heapSlots;
    const t = due.pop()!;
    const q = seq.pop()!;
    const slot = slots.pop()!;
    const n = slots.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && (due[r]! < due[l]! || (due[r] === due[l] && seq[r]! < seq[l]!)) ? r : l;
      if (t < due[m]! || (t === due[m] && q < seq[m]!)) break;
      due[i] = due[m]!;
      seq[i] = seq[m]!;
      slots[i] = slots[m]!;
      i = m;
    }
    due[i] = t;
    seq[i] = q;
    slots[i] = slot;
  }
}

function copied<A extends Float64Array | Uint8Array | Int32Array>(into: A, from: A): A {
  into.set(from as never);
  return into;
}
