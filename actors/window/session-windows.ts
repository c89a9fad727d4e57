import type { Collector } from '../../src/runtime/collector.ts';
import type { WindowEmitter } from './window-emitter.ts';
import { SlotQueue } from './slot-queue.ts';
import { KeyIndex } from '../../src/state/key-index.ts';

interface Session<ACC> {
  start: number;
  end: number;
  acc: ACC;
  fired: boolean;
}

/** A checkpoint's sessions: per key its sessions, and the keys' due times in firing order. */
interface StoredSessions<K, ACC> {
  sessions: Array<[K, Session<ACC>[]]>;
  timers: Array<[K, number]>;
}

/** A local snapshot's sessions as columns, keys in firing order: key i has counts[i] sessions, in start order. */
interface SessionColumns<K, ACC> {
  columns: 1;
  keys: K[];
  dues: number[];
  counts: number[];
  starts: number[];
  ends: number[];
  accs: ACC[];
  fired: number[];
}

/** Records added before a local snapshot may keep primitive accumulators by reference (the kind of accumulator shows by then). */
const BY_REFERENCE_PROBATION = 1024;
// What a slot holds.
const EMPTY = 0;
const ONE = 1;
const SEVERAL = 2;

/**
 * Event-time session windows: per key, a record opens [ts, ts + gap) and merges with every
 * session it overlaps (accumulators merge). A session fires when the watermark passes its end;
 * within the allowed lateness a late record merges in and the session fires again.
 *
 * Keys have slots (a {@link KeyIndex}: an array load for small integer keys). A key's session —
 * usually it has one — lives in columns indexed by slot (start, end, fired, accumulator), so a
 * record reads and writes a few array elements and allocates nothing; a key with several sessions
 * keeps them as a list. Each slot sits in a {@link SlotQueue} at the exact time its earliest
 * session is due: a watermark takes the due slots off the queue's front (no timer per record or
 * per session, no stale timers), and a record that extends a session moves its slot to the tail.
 */
export class SessionWindows<T, K, ACC, OUT> {
  private index = new KeyIndex<K>();
  private keyOf: Array<K | undefined> = [];
  private free: number[] = [];
  private kind = new Uint8Array(0);
  private starts = new Float64Array(0);
  private ends = new Float64Array(0);
  private fired = new Uint8Array(0);
  private accs: Array<ACC | undefined> = [];
  private lists: Array<Session<ACC>[] | undefined> = [];
  /** Per slot: the sweep count when it last became empty. */
  private emptiedIn = new Int32Array(0);
  private queue = new SlotQueue();
  /** Slots in use (keyed, empty or not). */
  private used = 0;
  /** Slots emptied since the last sweep of idle keys (an upper bound: some have sessions again). */
  private emptied = 0;
  /** Sweeps of idle keys so far. */
  private sweeps = 0;
  private adds = 0;
  private objectAccumulators = false;
  firings = 0;

  /** The gap of every session, or NaN when each record gives its own (a dynamic gap). */
  private readonly fixedGap: number;

  constructor(
    private readonly gap: ((value: T) => number) | number,
    private readonly lateness: number,
    private readonly emitter: WindowEmitter<T, ACC, unknown, OUT, K>,
  ) {
    this.fixedGap = typeof gap === 'number' ? gap : NaN;
  }

  add(value: T, ts: number, key: K, watermark: number, out: Collector<OUT>): boolean {
    const gap = this.fixedGap === this.fixedGap ? this.fixedGap : (this.gap as (value: T) => number)(value);
    if (!(gap > 0)) throw new RangeError(`session gap must be a positive number of ms, got ${gap}`);
    const start = ts;
    const end = ts + gap;
    const lateness = this.lateness;
    if (end - 1 + lateness <= watermark) return false;
    const agg = this.emitter.aggregate;
    let slot = this.index.get(key);
    if (slot < 0) slot = this.assign(key);
    const kind = this.kind[slot];
    let acc: ACC;
    if (kind === EMPTY) {
      acc = agg.add(value, agg.createAccumulator());
      this.kind[slot] = ONE;
      this.starts[slot] = start;
      this.ends[slot] = end;
      this.fired[slot] = 0;
    } else if (kind === ONE && this.starts[slot]! < end && start < this.ends[slot]!) {
      acc = agg.add(value, this.accs[slot] as ACC);
      if (start < this.starts[slot]!) this.starts[slot] = start;
      if (end > this.ends[slot]!) this.ends[slot] = end;
    } else {
      this.addToList(slot, value, start, end, watermark, out);
      return true;
    }
    this.accs[slot] = acc;
    if ((typeof acc === 'object' && acc !== null) || typeof acc === 'function') this.objectAccumulators = true;
    this.adds++;
    const sessionEnd = this.ends[slot]!;
    if (sessionEnd - 1 <= watermark) {
      // The session already closed: a late firing with the updated result.
      this.emitter.emitRange(key, acc, this.starts[slot]!, sessionEnd, watermark, out);
      this.fired[slot] = 1;
      this.firings++;
    }
    const due = this.fired[slot] === 1 ? sessionEnd - 1 + lateness : sessionEnd - 1;
    if (this.queue.due[slot] !== due) this.queue.schedule(slot, due);
    return true;
  }

  /** A record for a key with several sessions (or one it does not overlap): merges into the key's session list. */
  private addToList(slot: number, value: T, start: number, end: number, watermark: number, out: Collector<OUT>): void {
    const agg = this.emitter.aggregate;
    const lateness = this.lateness;
    let list = this.lists[slot];
    if (this.kind[slot] === ONE) {
      list = this.lists[slot] = [{ start: this.starts[slot]!, end: this.ends[slot]!, acc: this.accs[slot] as ACC, fired: this.fired[slot] === 1 }];
      this.accs[slot] = undefined;
      this.kind[slot] = SEVERAL;
    }
    list = list!;
    let first = -1;
    let overlaps = 0;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      if (s.start < end && start < s.end) {
        if (first < 0) first = i;
        overlaps++;
      }
    }
    let session: Session<ACC>;
    if (overlaps === 0) {
      session = { start, end, acc: agg.add(value, agg.createAccumulator()), fired: false };
      let at = list.length;
      while (at > 0 && list[at - 1]!.start > start) at--;
      list.splice(at, 0, session);
    } else {
      // Overlapping sessions are adjacent in start order: fold them into the first.
      session = list[first]!;
      session.acc = agg.add(value, session.acc);
      if (start < session.start) session.start = start;
      if (end > session.end) session.end = end;
      for (let n = 1; n < overlaps; n++) {
        const other = list[first + n]!;
        session.acc = agg.merge(session.acc, other.acc);
        if (other.end > session.end) session.end = other.end;
        session.fired ||= other.fired;
      }
      if (overlaps > 1) list.splice(first + 1, overlaps - 1);
    }
    const acc = session.acc;
    if ((typeof acc === 'object' && acc !== null) || typeof acc === 'function') this.objectAccumulators = true;
    this.adds++;
    if (session.end - 1 <= watermark) {
      this.emitter.emitRange(this.keyOf[slot]!, acc, session.start, session.end, watermark, out);
      session.fired = true;
      this.firings++;
    }
    let due = Infinity;
    for (const s of list) due = Math.min(due, s.fired ? s.end - 1 + lateness : s.end - 1);
    if (this.queue.due[slot] !== due) this.queue.schedule(slot, due);
  }

  advance(watermark: number, out: Collector<OUT>): void {
    for (let slot = this.queue.takeDue(watermark); slot >= 0; slot = this.queue.takeDue(watermark)) this.visit(slot, watermark, out);
  }

  /** Fires the key's sessions the watermark closed, drops those past their lateness, and queues the key again for the next. */
  private visit(slot: number, watermark: number, out: Collector<OUT>): void {
    const lateness = this.lateness;
    if (this.kind[slot] === ONE) {
      const end = this.ends[slot]!;
      if (this.fired[slot] === 0 && end - 1 <= watermark) {
        this.emitter.emitRange(this.keyOf[slot]!, this.accs[slot] as ACC, this.starts[slot]!, end, watermark, out);
        this.fired[slot] = 1;
        this.firings++;
      }
      if (end - 1 + lateness > watermark) this.queue.schedule(slot, this.fired[slot] === 1 ? end - 1 + lateness : end - 1);
      else this.empty(slot);
      return;
    }
    const list = this.lists[slot]!;
    const key = this.keyOf[slot]!;
    let next = Infinity;
    let kept = 0;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      if (!s.fired && s.end - 1 <= watermark) {
        this.emitter.emitRange(key, s.acc, s.start, s.end, watermark, out);
        s.fired = true;
        this.firings++;
      }
      if (s.end - 1 + lateness > watermark) {
        list[kept++] = s;
        const due = s.fired ? s.end - 1 + lateness : s.end - 1;
        if (due < next) next = due;
      }
    }
    list.length = kept;
    if (kept === 0) this.empty(slot);
    else {
      if (kept === 1) this.single(slot, list[0]!);
      this.queue.schedule(slot, next);
    }
  }

  /** The slot's one remaining session goes back to the columns. */
  private single(slot: number, s: Session<ACC>): void {
    this.kind[slot] = ONE;
    this.starts[slot] = s.start;
    this.ends[slot] = s.end;
    this.fired[slot] = s.fired ? 1 : 0;
    this.accs[slot] = s.acc;
    this.lists[slot] = undefined;
  }

  private empty(slot: number): void {
    this.kind[slot] = EMPTY;
    this.accs[slot] = undefined;
    this.lists[slot] = undefined;
    this.emptiedIn[slot] = this.sweeps;
    if (++this.emptied > 4096 && this.emptied > 4 * this.used) this.dropIdleKeys();
  }

  private assign(key: K): number {
    let slot: number;
    if (this.free.length > 0) slot = this.free.pop()!;
    else {
      slot = this.keyOf.length;
      this.keyOf.push(undefined);
      this.accs.push(undefined);
      this.lists.push(undefined);
      if (slot >= this.kind.length) this.grow(slot + 1);
    }
    this.keyOf[slot] = key;
    this.kind[slot] = EMPTY;
    this.index.set(key, slot);
    this.used++;
    return slot;
  }

  private grow(capacity: number): void {
    const n = Math.max(capacity, this.kind.length * 2, 1024);
    const kind = new Uint8Array(n);
    kind.set(this.kind);
    this.kind = kind;
    const fired = new Uint8Array(n);
    fired.set(this.fired);
    this.fired = fired;
    const starts = new Float64Array(n);
    starts.set(this.starts);
    this.starts = starts;
    const ends = new Float64Array(n);
    ends.set(this.ends);
    this.ends = ends;
    const emptiedIn = new Int32Array(n);
    emptiedIn.set(this.emptiedIn);
    this.emptiedIn = emptiedIn;
    this.queue.grow(n);
  }

  /**
   * A key whose sessions are all gone keeps its slot for a while, as most keys soon open their
   * next session. A sweep, once four times as many slots emptied as are in use (amortised O(1)
   * per session; sweeping as often as once per key count cost a quarter of session-count's time),
   * frees the slots that stayed empty since before the previous sweep, so idle keys cost bounded memory.
   */
  private dropIdleKeys(): void {
    const before = this.sweeps;
    for (let slot = 0; slot < this.keyOf.length; slot++) {
      if (this.kind[slot] !== EMPTY || this.keyOf[slot] === undefined || this.emptiedIn[slot]! >= before) continue;
      this.index.delete(this.keyOf[slot]!);
      this.keyOf[slot] = undefined;
      this.free.push(slot);
      this.used--;
    }
    this.sweeps++;
    this.emptied = 0;
  }

  /** The time of the next session timer, or undefined. */
  nextFiring(): number | undefined {
    return this.queue.peekDue();
  }

  /** The slot's sessions, in start order (copies). */
  private sessionsOf(slot: number): Session<ACC>[] {
    if (this.kind[slot] === ONE) return [{ start: this.starts[slot]!, end: this.ends[slot]!, acc: this.accs[slot] as ACC, fired: this.fired[slot] === 1 }];
    return (this.lists[slot] ?? []).map((s) => ({ start: s.start, end: s.end, acc: s.acc, fired: s.fired }));
  }

  /** For checkpoints: each key's sessions and due time, keys in firing order. */
  snapshot(): StoredSessions<K, ACC> {
    const sessions: Array<[K, Session<ACC>[]]> = [];
    const timers: Array<[K, number]> = [];
    for (const slot of this.queue.inOrder()) {
      const key = this.keyOf[slot]!;
      sessions.push([key, this.sessionsOf(slot)]);
      timers.push([key, this.queue.due[slot]!]);
    }
    return { sessions, timers };
  }

  /**
   * Local snapshots may keep these columns by reference (see `Operator.snapshotByReference`) when
   * every accumulator is a primitive: the columns are copies, and nothing changes a primitive in place.
   */
  snapshotByReference(): boolean {
    return !this.objectAccumulators && !this.emitter.mutatesOnFire && this.adds >= BY_REFERENCE_PROBATION;
  }

  /** The whole state as columns (a local snapshot; there is no delta to track). */
  snapshotDelta(): SessionColumns<K, ACC> {
    const c: SessionColumns<K, ACC> = { columns: 1, keys: [], dues: [], counts: [], starts: [], ends: [], accs: [], fired: [] };
    const order = this.queue.inOrder();
    for (let i = 0; i < order.length; i++) {
      const slot = order[i]!;
      c.keys.push(this.keyOf[slot]!);
      c.dues.push(this.queue.due[slot]!);
      if (this.kind[slot] === ONE) {
        c.counts.push(1);
        c.starts.push(this.starts[slot]!);
        c.ends.push(this.ends[slot]!);
        c.accs.push(this.accs[slot] as ACC);
        c.fired.push(this.fired[slot]!);
        continue;
      }
      const list = this.lists[slot]!;
      c.counts.push(list.length);
      for (let j = 0; j < list.length; j++) {
        const s = list[j]!;
        c.starts.push(s.start);
        c.ends.push(s.end);
        c.accs.push(s.acc);
        c.fired.push(s.fired ? 1 : 0);
      }
    }
    return c;
  }

  restoreDelta(delta: unknown): void {
    const c = delta as SessionColumns<K, ACC> | StoredSessions<K, ACC> | null;
    if (c === null || !('columns' in c)) {
      this.restore(c);
      return;
    }
    this.reset();
    let at = 0;
    for (let i = 0; i < c.keys.length; i++) {
      const list: Session<ACC>[] = [];
      for (let n = c.counts[i]!; n > 0; n--, at++) list.push({ start: c.starts[at]!, end: c.ends[at]!, acc: c.accs[at]!, fired: c.fired[at] === 1 });
      const slot = this.put(c.keys[i]!, list);
      if (slot >= 0) this.queue.schedule(slot, c.dues[i]!);
    }
  }

  clearDelta(): void {}

  /** Restores from several old subtasks' snapshots (rescaling), keeping the keys this subtask owns. */
  restoreFiltered(states: unknown[], owns: (key: K) => boolean): void {
    const parts = states as Array<StoredSessions<K, ACC> | null>;
    this.restore({ sessions: parts.flatMap((p) => p?.sessions.filter(([k]) => owns(k)) ?? []), timers: parts.flatMap((p) => p?.timers.filter(([k]) => owns(k)) ?? []) });
  }

  restore(state: unknown): void {
    const s = state as StoredSessions<K, ACC> | null;
    this.reset();
    for (const [k, list] of s?.sessions ?? []) this.put(k, list);
    // Snapshots of earlier versions may hold a key's timer earlier than its sessions are due: the visit then only queues it again.
    for (const [k, t] of s?.timers ?? []) {
      const slot = this.index.get(k);
      if (slot >= 0 && this.kind[slot] !== EMPTY && (!this.queue.isQueued(slot) || t < this.queue.due[slot]!)) this.queue.schedule(slot, t);
    }
    // A key with sessions and no timer would never fire: look at it at its first session's end.
    for (let slot = 0; slot < this.keyOf.length; slot++) {
      if (this.kind[slot] !== EMPTY && !this.queue.isQueued(slot)) this.queue.schedule(slot, Math.min(...this.sessionsOf(slot).map((x) => x.end - 1)));
    }
  }

  /** Gives `key` a slot holding `list` (sessions in start order; copied); -1 for an empty list. */
  private put(key: K, list: Session<ACC>[]): number {
    if (list.length === 0) return -1;
    const slot = this.assign(key);
    if (list.length === 1) this.single(slot, list[0]!);
    else {
      this.kind[slot] = SEVERAL;
      this.lists[slot] = list.map((x) => ({ start: x.start, end: x.end, acc: x.acc, fired: x.fired }));
    }
    return slot;
  }

  private reset(): void {
    this.index = new KeyIndex<K>();
    this.keyOf = [];
    this.accs = [];
    this.lists = [];
    this.free = [];
    this.kind = new Uint8Array(0);
    this.fired = new Uint8Array(0);
    this.starts = new Float64Array(0);
    this.ends = new Float64Array(0);
    this.emptiedIn = new Int32Array(0);
    this.queue = new SlotQueue();
    this.used = 0;
    this.emptied = 0;
  }
}

/**
 * The global window with a purging count trigger: every `count` records of a key fire its
 * window and start it afresh.
 */
export class CountWindows<T, K, ACC, OUT> {
  private windows = new Map<K, [number, ACC]>();
  firings = 0;

  constructor(
    private readonly count: number,
    private readonly emitter: WindowEmitter<T, ACC, unknown, OUT, K>,
  ) {}

  add(value: T, ts: number, key: K, watermark: number, out: Collector<OUT>): boolean {
    const agg = this.emitter.aggregate;
    const w = this.windows.get(key) ?? [0, agg.createAccumulator()];
    w[1] = agg.add(value, w[1]);
    w[0]++;
    if (w[0] >= this.count) {
      this.emitter.emit(key, w[1], { start: -Infinity, end: Number.isFinite(ts) ? ts + 1 : Infinity }, watermark, out);
      this.windows.delete(key);
      this.firings++;
    } else this.windows.set(key, w);
    return true;
  }

  advance(): void {}

  snapshot(): unknown {
    return [...this.windows];
  }

  restoreFiltered(states: unknown[], owns: (key: K) => boolean): void {
    this.windows = new Map((states as Array<Array<[K, [number, ACC]]> | null>).flatMap((p) => p?.filter(([k]) => owns(k)) ?? []));
  }

  restore(state: unknown): void {
    this.windows = new Map((state as Array<[K, [number, ACC]]> | null) ?? []);
  }
}
