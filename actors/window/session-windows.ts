import type { Collector } from '../../src/runtime/collector.ts';
import type { WindowEmitter } from './window-emitter.ts';
import { MinHeap } from '../../src/time/min-heap.ts';

interface Session<ACC> {
  start: number;
  end: number;
  acc: ACC;
  fired: boolean;
}

/**
 * Event-time session windows: per key, a record opens [ts, ts + gap) and merges with every
 * session it overlaps (accumulators merge). A session fires when the watermark passes its end;
 * within the allowed lateness a late record merges in and the session fires again.
 */
export class SessionWindows<T, K, ACC, OUT> {
  private sessions = new Map<K, Session<ACC>[]>();
  /** Keys to look at when the watermark reaches a time: a session's end − 1 (fire) or end − 1 + lateness (purge). */
  private timers = new MinHeap<K>();
  firings = 0;

  constructor(
    private readonly gap: (value: T) => number,
    private readonly lateness: number,
    private readonly emitter: WindowEmitter<T, ACC, unknown, OUT, K>,
  ) {}

  add(value: T, ts: number, key: K, watermark: number, out: Collector<OUT>): boolean {
    const gap = this.gap(value);
    if (!(gap > 0)) throw new RangeError(`session gap must be a positive number of ms, got ${gap}`);
    let start = ts;
    let end = ts + gap;
    if (end - 1 + this.lateness <= watermark) return false;
    const agg = this.emitter.aggregate;
    let acc = agg.add(value, agg.createAccumulator());
    let fired = false;
    const list = this.sessions.get(key) ?? [];
    const kept: Session<ACC>[] = [];
    for (const s of list) {
      if (s.start < end && start < s.end) {
        start = Math.min(start, s.start);
        end = Math.max(end, s.end);
        acc = agg.merge(s.acc, acc);
        fired ||= s.fired;
      } else kept.push(s);
    }
    const merged = { start, end, acc, fired };
    kept.push(merged);
    kept.sort((a, b) => a.start - b.start);
    this.sessions.set(key, kept);
    if (end - 1 <= watermark) {
      // The session already closed: a late firing with the updated result.
      this.emitter.emit(key, acc, { start, end }, watermark, out);
      merged.fired = true;
      this.firings++;
      this.timers.push(end - 1 + this.lateness, key);
    } else this.timers.push(end - 1, key);
    return true;
  }

  advance(watermark: number, out: Collector<OUT>): void {
    while (this.timers.size > 0 && this.timers.peekTime() <= watermark) this.visit(this.timers.pop()!, watermark, out);
  }

  /** Fires the key's sessions the watermark closed and drops those past their lateness. */
  private visit(key: K, watermark: number, out: Collector<OUT>): void {
    const list = this.sessions.get(key);
    if (!list) return;
    const kept: Session<ACC>[] = [];
    for (const s of list) {
      if (!s.fired && s.end - 1 <= watermark) {
        this.emitter.emit(key, s.acc, { start: s.start, end: s.end }, watermark, out);
        s.fired = true;
        this.firings++;
        if (this.lateness > 0) this.timers.push(s.end - 1 + this.lateness, key);
      }
      if (s.end - 1 + this.lateness > watermark) kept.push(s);
    }
    if (kept.length === 0) this.sessions.delete(key);
    else this.sessions.set(key, kept);
  }

  /** The time of the next session timer, or undefined. */
  nextFiring(): number | undefined {
    return this.timers.size > 0 ? this.timers.peekTime() : undefined;
  }

  snapshot(): unknown {
    return { sessions: [...this.sessions], timers: this.timers.entries() };
  }

  restore(state: unknown): void {
    const s = state as { sessions: Array<[K, Session<ACC>[]]>; timers: Array<[number, K]> } | null;
    this.sessions = new Map(s?.sessions ?? []);
    this.timers = new MinHeap<K>();
    for (const [t, k] of s?.timers ?? []) this.timers.push(t, k);
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

  restore(state: unknown): void {
    this.windows = new Map((state as Array<[K, [number, ACC]]> | null) ?? []);
  }
}
