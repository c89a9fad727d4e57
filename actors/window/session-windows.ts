import type { Collector } from '../../src/runtime/collector.ts';
import type { WindowEmitter } from './window-emitter.ts';
import { DueQueue, type DueEntry } from './due-queue.ts';

interface Session<ACC> {
  start: number;
  end: number;
  acc: ACC;
  fired: boolean;
}

/** A key's sessions in start order, queued at the earliest time one of them is due. */
class KeySessions<K, ACC> implements DueEntry {
  due = Infinity;
  seq = 0;
  queued: 0 | 1 | 2 = 0;
  prev: this | null = null;
  next: this | null = null;
  list: Session<ACC>[] = [];
  /** The sweep count when the list last became empty. */
  emptiedIn = 0;
  constructor(readonly key: K) {}
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

/**
 * Event-time session windows: per key, a record opens [ts, ts + gap) and merges with every
 * session it overlaps (accumulators merge). A session fires when the watermark passes its end;
 * within the allowed lateness a late record merges in and the session fires again.
 *
 * Each key's entry sits in a {@link DueQueue} at the exact time its earliest session is due, so a
 * watermark takes the due keys off the queue's front (no timer per record or per session, no
 * stale timers): a record that extends a session moves its key to the queue's tail, a few pointer
 * writes. A record costs one Map lookup, and the common in-order case allocates only a new session.
 */
export class SessionWindows<T, K, ACC, OUT> {
  private keys = new Map<K, KeySessions<K, ACC>>();
  private queue = new DueQueue<KeySessions<K, ACC>>();
  /** Keys emptied since the last sweep of idle entries (an upper bound: some have sessions again). */
  private emptied = 0;
  /** Sweeps of idle entries so far. */
  private sweeps = 0;
  private adds = 0;
  private objectAccumulators = false;
  firings = 0;

  constructor(
    private readonly gap: (value: T) => number,
    private readonly lateness: number,
    private readonly emitter: WindowEmitter<T, ACC, unknown, OUT, K>,
  ) {}

  add(value: T, ts: number, key: K, watermark: number, out: Collector<OUT>): boolean {
    const gap = this.gap(value);
    if (!(gap > 0)) throw new RangeError(`session gap must be a positive number of ms, got ${gap}`);
    const start = ts;
    const end = ts + gap;
    const lateness = this.lateness;
    if (end - 1 + lateness <= watermark) return false;
    const agg = this.emitter.aggregate;
    let entry = this.keys.get(key);
    if (entry === undefined) this.keys.set(key, (entry = new KeySessions<K, ACC>(key)));
    const list = entry.list;
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
      if (at === list.length) list.push(session);
      else list.splice(at, 0, session);
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
      // The session already closed: a late firing with the updated result.
      this.emitter.emit(key, acc, { start: session.start, end: session.end }, watermark, out);
      session.fired = true;
      this.firings++;
    }
    let due = session.fired ? session.end - 1 + lateness : session.end - 1;
    if (list.length > 1) for (const s of list) due = Math.min(due, s.fired ? s.end - 1 + lateness : s.end - 1);
    if (entry.queued === 0 || entry.due !== due) this.queue.schedule(entry, due);
    return true;
  }

  advance(watermark: number, out: Collector<OUT>): void {
    for (let entry = this.queue.takeDue(watermark); entry !== null; entry = this.queue.takeDue(watermark)) this.visit(entry, watermark, out);
  }

  /** Fires the key's sessions the watermark closed, drops those past their lateness, and queues the key again for the next. */
  private visit(entry: KeySessions<K, ACC>, watermark: number, out: Collector<OUT>): void {
    const { key, list } = entry;
    const lateness = this.lateness;
    let next = Infinity;
    let kept = 0;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      if (!s.fired && s.end - 1 <= watermark) {
        this.emitter.emit(key, s.acc, { start: s.start, end: s.end }, watermark, out);
        s.fired = true;
        this.firings++;
      }
      if (s.end - 1 + lateness > watermark) {
        list[kept++] = s;
        const due = s.fired ? s.end - 1 + lateness : s.end - 1;
        if (due < next) next = due;
      }
    }
    while (list.length > kept) list.pop(); // pops keep a small backing store; setting the length freed it (a runtime call), and the next push allocated one
    if (kept > 0) this.queue.schedule(entry, next);
    else {
      entry.emptiedIn = this.sweeps;
      if (++this.emptied > 4096 && this.emptied > 4 * this.keys.size) this.dropIdleKeys();
    }
  }

  /**
   * A key whose sessions are all gone keeps its entry for a while, as most keys soon open their
   * next session (no entry and list to allocate again). A sweep, once four times as many keys
   * emptied as the map holds (amortised O(1) per session; sweeping as often as once per map size
   * cost a quarter of session-count's time in deletes, re-adds and walks), drops the entries that
   * stayed empty since before the previous sweep, so idle keys cost bounded memory.
   */
  private dropIdleKeys(): void {
    const before = this.sweeps;
    for (const [k, e] of this.keys) if (e.list.length === 0 && e.emptiedIn < before) this.keys.delete(k);
    this.sweeps++;
    this.emptied = 0;
  }

  /** The time of the next session timer, or undefined. */
  nextFiring(): number | undefined {
    return this.queue.peekDue();
  }

  /** For checkpoints: each key's sessions (copies) and due time, keys in firing order. */
  snapshot(): StoredSessions<K, ACC> {
    const sessions: Array<[K, Session<ACC>[]]> = [];
    const timers: Array<[K, number]> = [];
    for (const e of this.queue.inOrder()) {
      sessions.push([e.key, e.list.map((s) => ({ start: s.start, end: s.end, acc: s.acc, fired: s.fired }))]);
      timers.push([e.key, e.due]);
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

  /** The whole state as columns (a local snapshot; sessions are few, so there is no delta to track). */
  snapshotDelta(): SessionColumns<K, ACC> {
    const c: SessionColumns<K, ACC> = { columns: 1, keys: [], dues: [], counts: [], starts: [], ends: [], accs: [], fired: [] };
    for (let e = this.queue.inOrder(), i = 0; i < e.length; i++) {
      const { key, list, due } = e[i]!;
      c.keys.push(key);
      c.dues.push(due);
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
      const entry = new KeySessions<K, ACC>(c.keys[i]!);
      for (let n = c.counts[i]!; n > 0; n--, at++) entry.list.push({ start: c.starts[at]!, end: c.ends[at]!, acc: c.accs[at]!, fired: c.fired[at] === 1 });
      this.keys.set(entry.key, entry);
      this.queue.schedule(entry, c.dues[i]!);
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
    for (const [k, list] of s?.sessions ?? []) {
      const entry = new KeySessions<K, ACC>(k);
      entry.list = list.map((x) => ({ start: x.start, end: x.end, acc: x.acc, fired: x.fired }));
      this.keys.set(k, entry);
    }
    // Snapshots of earlier versions may hold a key's timer earlier than its sessions are due: the visit then only queues it again.
    for (const [k, t] of s?.timers ?? []) {
      const entry = this.keys.get(k);
      if (entry && entry.list.length > 0 && (entry.queued === 0 || t < entry.due)) this.queue.schedule(entry, t);
    }
    // A key with sessions and no timer would never fire: look at it at its first session's end.
    for (const entry of this.keys.values()) if (entry.queued === 0 && entry.list.length > 0) this.queue.schedule(entry, Math.min(...entry.list.map((x) => x.end - 1)));
  }

  private reset(): void {
    this.keys = new Map();
    this.queue = new DueQueue<KeySessions<K, ACC>>();
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
