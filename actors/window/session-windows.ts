import type { Collector } from '../../src/runtime/collector.ts';
import type { WindowEmitter } from './window-emitter.ts';
import { MinHeap } from '../../src/time/min-heap.ts';

interface Session<ACC> {
  start: number;
  end: number;
  acc: ACC;
  fired: boolean;
}

/** A key's sessions in start order, and the time its one live timer is set for (Infinity: none). */
interface KeySessions<K, ACC> {
  key: K;
  list: Session<ACC>[];
  timer: number;
  /** The sweep count when the list last became empty. */
  emptiedIn: number;
}

/**
 * Event-time session windows: per key, a record opens [ts, ts + gap) and merges with every
 * session it overlaps (accumulators merge). A session fires when the watermark passes its end;
 * within the allowed lateness a late record merges in and the session fires again.
 *
 * Each key has at most one live timer (the earliest time one of its sessions is due), kept on
 * the key's own entry so a record costs one Map lookup; a record that only extends a session
 * updates it in place, so the common in-order case allocates nothing.
 */
export class SessionWindows<T, K, ACC, OUT> {
  private keys = new Map<K, KeySessions<K, ACC>>();
  /** Key entries by the time the watermark must reach for them to be looked at (no Map lookup to find them); an entry whose time is not its `timer` is stale. */
  private timers = new MinHeap<KeySessions<K, ACC>>();
  /** Keys emptied since the last sweep of idle entries (an upper bound: some have sessions again). */
  private emptied = 0;
  /** Sweeps of idle entries so far. */
  private sweeps = 0;
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
    if (end - 1 + this.lateness <= watermark) return false;
    const agg = this.emitter.aggregate;
    let entry = this.keys.get(key);
    if (entry === undefined) this.keys.set(key, (entry = { key, list: [], timer: Infinity, emptiedIn: 0 }));
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
    if (session.end - 1 <= watermark) {
      // The session already closed: a late firing with the updated result.
      this.emitter.emit(key, session.acc, { start: session.start, end: session.end }, watermark, out);
      session.fired = true;
      this.firings++;
    }
    this.schedule(entry, session.fired ? session.end - 1 + this.lateness : session.end - 1);
    return true;
  }

  private schedule(entry: KeySessions<K, ACC>, time: number): void {
    if (entry.timer <= time) return;
    entry.timer = time;
    this.timers.push(time, entry);
  }

  advance(watermark: number, out: Collector<OUT>): void {
    while (this.timers.size > 0 && this.timers.peekTime() <= watermark) {
      const time = this.timers.peekTime();
      const entry = this.timers.pop()!;
      // Stale: rescheduled earlier since, or emptied (and perhaps swept and replaced by a new entry).
      if (entry.timer !== time) continue;
      entry.timer = Infinity;
      this.visit(entry, watermark, out);
    }
  }

  /** Fires the key's sessions the watermark closed, drops those past their lateness, and schedules the next look. */
  private visit(entry: KeySessions<K, ACC>, watermark: number, out: Collector<OUT>): void {
    const { key, list } = entry;
    let next = Infinity;
    let kept = 0;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      if (!s.fired && s.end - 1 <= watermark) {
        this.emitter.emit(key, s.acc, { start: s.start, end: s.end }, watermark, out);
        s.fired = true;
        this.firings++;
      }
      if (s.end - 1 + this.lateness > watermark) {
        list[kept++] = s;
        const due = s.fired ? s.end - 1 + this.lateness : s.end - 1;
        if (due < next) next = due;
      }
    }
    while (list.length > kept) list.pop(); // pops keep a small backing store; setting the length freed it (a runtime call), and the next push allocated one
    if (kept > 0) this.schedule(entry, next);
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
    while (this.timers.size > 0 && this.timers.peekItem()!.timer !== this.timers.peekTime()) this.timers.pop();
    return this.timers.size > 0 ? this.timers.peekTime() : undefined;
  }

  snapshot(): unknown {
    const sessions: Array<[K, Session<ACC>[]]> = [];
    const timers: Array<[K, number]> = [];
    for (const [k, e] of this.keys) {
      if (e.list.length === 0) continue;
      sessions.push([k, e.list]);
      if (e.timer !== Infinity) timers.push([k, e.timer]);
    }
    return { sessions, timers };
  }

  /** Restores from several old subtasks' snapshots (rescaling), keeping the keys this subtask owns. */
  restoreFiltered(states: unknown[], owns: (key: K) => boolean): void {
    const parts = states as Array<{ sessions: Array<[K, Session<ACC>[]]>; timers: Array<[K, number]> } | null>;
    this.restore({ sessions: parts.flatMap((p) => p?.sessions.filter(([k]) => owns(k)) ?? []), timers: parts.flatMap((p) => p?.timers.filter(([k]) => owns(k)) ?? []) });
  }

  restore(state: unknown): void {
    const s = state as { sessions: Array<[K, Session<ACC>[]]>; timers: Array<[K, number]> } | null;
    this.keys = new Map((s?.sessions ?? []).map(([k, list]) => [k, { key: k, list, timer: Infinity, emptiedIn: 0 }]));
    this.timers = new MinHeap<KeySessions<K, ACC>>();
    for (const [k, t] of s?.timers ?? []) {
      const entry = this.keys.get(k);
      if (entry) this.schedule(entry, t);
    }
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
