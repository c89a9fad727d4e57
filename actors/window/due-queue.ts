/** What the due queue orders: an entry with one due time at most, linked into the queue in place. */
export interface DueEntry {
  /** When the entry is due (Infinity: not queued). */
  due: number;
  /** The order among entries due at the same time: the order they were scheduled in. */
  seq: number;
  /** 0: not queued, 1: in the sorted list, 2: in the heap. */
  queued: 0 | 1 | 2;
  prev: this | null;
  next: this | null;
}

/** How far an entry due earlier than the list's tail walks back before it goes to the heap instead. */
const MAX_WALK = 8;

/**
 * The entries of a keyed window operator by due time, ties in the order they were scheduled. Due
 * times mostly arrive in order (a session of an in-order stream ends `gap` after its last record),
 * so an entry goes to the tail of a doubly linked list kept in due order: scheduling, moving an
 * entry to a later time (a session extended) and taking the next due entry are a few pointer
 * writes, with no allocation and no stale entries to skip. An entry due earlier than a short walk
 * back from the tail finds (out-of-order input) goes to a binary heap; the next entry is the
 * earlier of the list's head and the heap's top. The order is a total one, (due, seq), so it does
 * not depend on which of the two structures holds an entry (a restored queue fires in the same order).
 */
export class DueQueue<E extends DueEntry> {
  private head: E | null = null;
  private tail: E | null = null;
  // The heap holds (due, seq) as they were when pushed: an entry rescheduled since is stale there.
  private heapDue: number[] = [];
  private heapSeq: number[] = [];
  private heapItems: E[] = [];
  private nextSeq = 0;
  /** Heap slots whose entry was rescheduled or removed since. */
  private stale = 0;
  /** Entries queued now. */
  size = 0;

  /** Queues `entry` at `due`, or moves it there (to the end of the entries due then). */
  schedule(entry: E, due: number): void {
    if (entry.queued !== 0) this.remove(entry);
    entry.due = due;
    entry.seq = this.nextSeq++;
    this.size++;
    let at = this.tail;
    for (let walked = 0; at !== null && at.due > due; walked++) {
      if (walked === MAX_WALK) {
        this.push(entry);
        return;
      }
      at = at.prev;
    }
    // Link after `at` (null: at the head).
    entry.queued = 1;
    entry.prev = at;
    entry.next = at === null ? this.head : at.next;
    if (entry.next === null) this.tail = entry;
    else entry.next.prev = entry;
    if (at === null) this.head = entry;
    else at.next = entry;
  }

  /** Takes `entry` out of the queue (its heap slot, if any, goes stale). */
  remove(entry: E): void {
    if (entry.queued === 0) return;
    if (entry.queued === 1) {
      const { prev, next } = entry;
      if (prev === null) this.head = next;
      else prev.next = next;
      if (next === null) this.tail = prev;
      else next.prev = prev;
      entry.prev = entry.next = null;
    } else if (++this.stale > 1024 && this.stale * 2 > this.heapItems.length) this.rebuildHeap(entry);
    entry.queued = 0;
    entry.due = Infinity;
    this.size--;
  }

  /** The next entry if it is due at or before `time` (taken out of the queue), else null. */
  takeDue(time: number): E | null {
    this.dropStale();
    const l = this.head;
    const h = this.heapItems.length > 0 ? this.heapItems[0]! : null;
    let next: E | null;
    if (l === null) next = h;
    else if (h === null) next = l;
    else next = l.due < h.due || (l.due === h.due && l.seq < h.seq) ? l : h;
    if (next === null || next.due > time) return null;
    if (next === h) {
      this.pop();
      next.queued = 0;
      next.due = Infinity;
      this.size--;
    } else this.remove(next);
    return next;
  }

  /** The earliest due time, or undefined when empty. */
  peekDue(): number | undefined {
    this.dropStale();
    const l = this.head === null ? Infinity : this.head.due;
    const h = this.heapItems.length > 0 ? this.heapDue[0]! : Infinity;
    const t = l < h ? l : h;
    return t === Infinity ? undefined : t;
  }

  /** Every queued entry in firing order (for snapshots; a restore schedules them in this order). */
  inOrder(): E[] {
    const fromHeap: E[] = [];
    for (let i = 0; i < this.heapItems.length; i++) if (this.live(i)) fromHeap.push(this.heapItems[i]!);
    fromHeap.sort((a, b) => a.due - b.due || a.seq - b.seq);
    const out: E[] = [];
    let j = 0;
    for (let l = this.head; l !== null; l = l.next) {
      while (j < fromHeap.length && (fromHeap[j]!.due < l.due || (fromHeap[j]!.due === l.due && fromHeap[j]!.seq < l.seq))) out.push(fromHeap[j++]!);
      out.push(l);
    }
    while (j < fromHeap.length) out.push(fromHeap[j++]!);
    return out;
  }

  private live(i: number): boolean {
    const e = this.heapItems[i]!;
    return e.queued === 2 && e.seq === this.heapSeq[i];
  }

  /** Drops the stale slots (they would stay until the time they were due): the heap stays bounded by its live entries. */
  private rebuildHeap(leaving: E): void {
    const live: E[] = [];
    for (let i = 0; i < this.heapItems.length; i++) if (this.live(i) && this.heapItems[i] !== leaving) live.push(this.heapItems[i]!);
    this.heapDue = [];
    this.heapSeq = [];
    this.heapItems = [];
    this.stale = 0;
    for (const e of live) this.push(e);
  }

  private dropStale(): void {
    while (this.heapItems.length > 0 && !this.live(0)) this.pop();
  }

  // Binary heap on (due, seq); sifting moves a hole rather than swapping.
  private push(entry: E): void {
    entry.queued = 2;
    entry.prev = entry.next = null;
    const due = this.heapDue;
    const seq = this.heapSeq;
    const items = this.heapItems;
    let i = items.length;
    items.push(entry);
    due.push(entry.due);
    seq.push(entry.seq);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (due[p]! < entry.due || (due[p] === entry.due && seq[p]! < entry.seq)) break;
      due[i] = due[p]!;
      seq[i] = seq[p]!;
      items[i] = items[p]!;
      i = p;
    }
    due[i] = entry.due;
    seq[i] = entry.seq;
    items[i] = entry;
  }

  private pop(): void {
    if (!this.live(0)) this.stale--;
    const due = this.heapDue;
    const seq = this.heapSeq;
    const items = this.heapItems;
    const t = due.pop()!;
    const q = seq.pop()!;
    const item = items.pop()!;
    const n = items.length;
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
      items[i] = items[m]!;
      i = m;
    }
    due[i] = t;
    seq[i] = q;
    items[i] = item;
  }
}
