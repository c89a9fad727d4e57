import type { Collector } from '../../src/runtime/collector.ts';
import type { WindowEmitter } from './window-emitter.ts';
import { startWindowLifecycle, type WindowLifecycle } from '../../src/windows/window-lifecycle.ts';

/**
 * Tumbling and sliding event-time windows over shared slices of gcd(size, slide): a record
 * updates one accumulator in one slice; a firing window merges its slices per key. Windows fire
 * when the watermark passes their end; records inside the allowed lateness update a fired window
 * and fire it again for their key; later ones go to the late output.
 */
export class SlicedWindows<T, K, ACC, OUT> {
  private slices = new Map<number, Map<K, ACC>>();
  /** Windows with end ≤ firedUpTo have fired. */
  private firedUpTo = -Infinity;
  private lastSliceStart = NaN;
  private lastSlice: Map<K, ACC> | undefined;
  private lifecycles = new Map<number, WindowLifecycle>();
  /** Traceparents of sampled records per slice (at most 16 each): a firing window links them. Not snapshotted. */
  private links = new Map<number, string[]>();
  /** Called when a window that holds sampled records fires. */
  onTracedFiring: ((start: number, end: number, links: string[]) => void) | undefined;

  /** Remembers that a sampled record at `ts` fed this slice. */
  addLink(ts: number, traceparent: string): void {
    const sliceStart = Math.floor((ts - this.offset) / this.sliceSize) * this.sliceSize + this.offset;
    let list = this.links.get(sliceStart);
    if (!list) this.links.set(sliceStart, (list = []));
    if (list.length < 16) list.push(traceparent);
  }

  /** Slices updated since the last local snapshot: a delta snapshot carries just these. */
  private touched = new Set<number>();
  firings = 0;

  constructor(
    private readonly size: number,
    private readonly slide: number,
    private readonly offset: number,
    private readonly sliceSize: number,
    private readonly lateness: number,
    private readonly emitter: WindowEmitter<T, ACC, unknown, OUT, K>,
  ) {}

  /** Adds a record; returns false when it is too late for every window it belongs to. */
  add(value: T, ts: number, key: K, watermark: number, out: Collector<OUT>): boolean {
    const lastStart = Math.floor((ts - this.offset) / this.slide) * this.slide + this.offset;
    if (lastStart + this.size - 1 + this.lateness <= watermark) return false;
    const sliceStart = Math.floor((ts - this.offset) / this.sliceSize) * this.sliceSize + this.offset;
    let slice = this.lastSlice;
    if (sliceStart !== this.lastSliceStart || slice === undefined) {
      slice = this.slices.get(sliceStart);
      if (slice === undefined) this.slices.set(sliceStart, (slice = new Map()));
      this.lastSliceStart = sliceStart;
      this.lastSlice = slice;
      this.touched.add(sliceStart);
    }
    const agg = this.emitter.aggregate;
    const acc = slice.get(key);
    slice.set(key, agg.add(value, acc === undefined ? agg.createAccumulator() : acc));
    // Late but allowed: the fired windows holding this record fire again, for this key only.
    // (Every window holding ts ends after ts, so nothing fired holds it while ts >= firedUpTo.)
    if (ts < this.firedUpTo) {
      for (let start = lastStart; start > ts - this.size; start -= this.slide) {
        const end = start + this.size;
        if (end <= this.firedUpTo && end - 1 + this.lateness > watermark) this.fireKey(key, start, end, watermark, out);
      }
    }
    return true;
  }

  /** Early firings every `intervalMs` of event time while a window is open (Flink's ContinuousEventTimeTrigger). */
  earlyEveryMs: number | undefined;
  /** Clear a window's contents whenever it fires (Flink's PurgingTrigger; tumbling windows only). */
  purgeOnFire = false;
  private lastAdvance = -Infinity;

  /** Fires every window whose end the watermark passed, then purges what no window needs any more. */
  advance(watermark: number, out: Collector<OUT>): void {
    if (this.earlyEveryMs !== undefined && watermark !== Infinity) this.fireEarly(watermark, out);
    this.lastAdvance = watermark;
    // Window starts are aligned to the slide; the last window that may fire ends at or before watermark + 1.
    const lastStart = watermark === Infinity ? Infinity : Math.floor((watermark + 1 - this.size - this.offset) / this.slide) * this.slide + this.offset;
    if (this.slices.size > 0 && lastStart + this.size > this.firedUpTo) {
      let min = Infinity;
      let max = -Infinity;
      for (const s of this.slices.keys()) {
        if (s < min) min = s;
        if (s > max) max = s;
      }
      const earliest = Math.ceil((min - this.size + 1 - this.offset) / this.slide) * this.slide + this.offset;
      let start = this.firedUpTo === -Infinity ? earliest : Math.max(earliest, this.firedUpTo - this.size + this.slide);
      for (; start <= lastStart && start <= max; start += this.slide) this.fireWindow(start, start + this.size, watermark, out);
    }
    if (lastStart + this.size > this.firedUpTo) this.firedUpTo = lastStart + this.size;
    this.purge(watermark);
  }

  /** Open windows whose interval boundary (start + k × interval − 1) the watermark crossed emit their current result. */
  private fireEarly(watermark: number, out: Collector<OUT>): void {
    const every = this.earlyEveryMs!;
    const firstStart = Math.floor((watermark - this.size + 1 - this.offset) / this.slide) * this.slide + this.offset;
    for (let start = Math.max(firstStart, this.firedUpTo - this.size + this.slide); start <= watermark; start += this.slide) {
      const end = start + this.size;
      if (end - 1 <= watermark) continue; // complete: the regular firing takes it
      const crossed = Math.floor((watermark - start + 1) / every) > Math.floor((Math.max(this.lastAdvance, start - 1) - start + 1) / every);
      if (!crossed) continue;
      if (!this.holdsData(start, end)) continue;
      this.emitWindow(start, end, watermark, out);
      this.firings++;
      if (this.purgeOnFire) this.purgeSlice(start);
    }
  }

  /** Empties a (tumbling) window's slice; marked touched so a delta snapshot carries the emptiness. */
  private purgeSlice(start: number): void {
    this.slices.get(start)?.clear();
    this.touched.add(start);
  }

  private fireWindow(start: number, end: number, watermark: number, out: Collector<OUT>): void {
    if (!this.holdsData(start, end)) return;
    const life = this.lifecycles.get(end) ?? startWindowLifecycle(start, end);
    this.lifecycles.set(end, life);
    life.send({ type: 'FIRE' });
    this.emitWindow(start, end, watermark, out);
    if (this.purgeOnFire) this.purgeSlice(start);
    if (this.links.size > 0 && this.onTracedFiring) {
      const links: string[] = [];
      for (let s = start; s < end; s += this.sliceSize) for (const l of this.links.get(s) ?? []) links.push(l);
      if (links.length > 0) this.onTracedFiring(start, end, links);
    }
    life.send({ type: 'FIRED' });
    this.firings++;
  }

  private fireKey(key: K, start: number, end: number, watermark: number, out: Collector<OUT>): void {
    const acc = this.merge(start, end, key).get(key);
    if (acc === undefined) return;
    const life = this.lifecycles.get(end);
    life?.send({ type: 'FIRE' });
    if (this.emitter.mutatesOnFire && this.sliceSize === this.size) this.touched.add(start);
    this.emitter.emit(key, acc, { start, end }, watermark, out);
    life?.send({ type: 'FIRED' });
  }

  /** Whether some slice of [start, end) holds a key. */
  private holdsData(start: number, end: number): boolean {
    for (let s = start; s < end; s += this.sliceSize) if ((this.slices.get(s)?.size ?? 0) > 0) return true;
    return false;
  }

  /**
   * Emits each key's merge of the slices in [start, end), oldest slice first. No merged map is
   * built: a key is emitted from the first slice that holds it, looking its later slices up, so
   * a firing costs lookups but no map growth or garbage (it was most of a sliding window's cost).
   */
  private emitWindow(start: number, end: number, watermark: number, out: Collector<OUT>): void {
    const window = { start, end };
    const emitter = this.emitter;
    if (this.sliceSize === this.size) {
      // An evictor removes elements from the window's own (one) slice: the next delta must carry it.
      if (emitter.mutatesOnFire) this.touched.add(start);
      const slice = this.slices.get(start);
      if (slice) slice.forEach((acc, key) => emitter.emit(key, acc, window, watermark, out));
      return;
    }
    const agg = emitter.aggregate;
    const slices: Array<Map<K, ACC>> = [];
    for (let s = start; s < end; s += this.sliceSize) {
      const slice = this.slices.get(s);
      if (slice !== undefined && slice.size > 0) slices.push(slice);
    }
    for (let j = 0; j < slices.length; j++) {
      slices[j]!.forEach((first, key) => {
        for (let i = 0; i < j; i++) if (slices[i]!.has(key)) return; // emitted from an earlier slice
        // merge may reuse its first argument, so the slice's own accumulator is never passed first.
        let acc = agg.merge(agg.createAccumulator(), first);
        for (let i = j + 1; i < slices.length; i++) {
          const next = slices[i]!.get(key);
          if (next !== undefined) acc = agg.merge(acc, next);
        }
        emitter.emit(key, acc, window, watermark, out);
      });
    }
  }

  /** Per key, the merge of the slices in [start, end); tumbling windows use their one slice as is. */
  private merge(start: number, end: number, only?: K): Map<K, ACC> {
    if (this.sliceSize === this.size) {
      const slice = this.slices.get(start) ?? new Map<K, ACC>();
      return only === undefined ? slice : new Map(slice.has(only) ? [[only, slice.get(only)!]] : []);
    }
    const agg = this.emitter.aggregate;
    const merged = new Map<K, ACC>();
    for (let s = start; s < end; s += this.sliceSize) {
      const slice = this.slices.get(s);
      if (!slice) continue;
      if (only !== undefined) {
        const acc = slice.get(only);
        if (acc !== undefined) merged.set(only, agg.merge(merged.get(only) ?? agg.createAccumulator(), acc));
        continue;
      }
      for (const [key, acc] of slice) merged.set(key, agg.merge(merged.get(key) ?? agg.createAccumulator(), acc));
    }
    return merged;
  }

  private purge(watermark: number): void {
    for (const s of [...this.slices.keys()]) {
      const lastStart = Math.floor((s - this.offset) / this.slide) * this.slide + this.offset;
      if (lastStart + this.size - 1 + this.lateness <= watermark && lastStart + this.size <= this.firedUpTo) {
        this.slices.delete(s);
        this.links.delete(s);
        if (s === this.lastSliceStart) this.lastSlice = undefined;
      }
    }
    for (const [end, life] of this.lifecycles) {
      if (end - 1 + this.lateness <= watermark) {
        life.send({ type: 'PURGE' });
        life.stop();
        this.lifecycles.delete(end);
      }
    }
  }

  /** The time at which the next window fires (its end − 1), or undefined when nothing waits. */
  nextFiring(): number | undefined {
    if (this.slices.size === 0) return undefined;
    let min = Infinity;
    for (const s of this.slices.keys()) if (s < min) min = s;
    const firstStart = Math.ceil((min - this.size + 1 - this.offset) / this.slide) * this.slide + this.offset;
    const end = Math.max(firstStart + this.size, this.firedUpTo === -Infinity ? -Infinity : this.firedUpTo + this.slide);
    return end - 1;
  }

  /** Window ranges currently tracked by a lifecycle machine. */
  get openRanges(): number {
    return this.lifecycles.size;
  }

  snapshot(): unknown {
    return {
      slices: [...this.slices].map(([s, m]) => columns(s, m)),
      firedUpTo: this.firedUpTo,
      lifecycles: [...this.lifecycles].map(([end, life]) => [end, life.getPersistedSnapshot()]),
    };
  }

  /** The slices updated since the last snapshot, which slices exist, and the (small) lifecycle state. */
  snapshotDelta(): unknown {
    const changed: Array<SliceColumns<K, ACC>> = [];
    for (const start of this.touched) {
      const slice = this.slices.get(start);
      if (slice) changed.push(columns(start, slice));
    }
    this.touched.clear();
    if (this.lastSlice !== undefined) this.touched.add(this.lastSliceStart);
    return { changed, present: [...this.slices.keys()], firedUpTo: this.firedUpTo, lifecycles: [...this.lifecycles].map(([end, life]) => [end, life.getPersistedSnapshot()]) };
  }

  clearDelta(): void {
    this.touched.clear();
    if (this.lastSlice !== undefined) this.touched.add(this.lastSliceStart);
  }

  restoreDelta(delta: unknown): void {
    const d = delta as { changed: Array<StoredSlice<K, ACC>>; present: number[]; firedUpTo: number; lifecycles: Array<[number, unknown]> };
    const present = new Set(d.present);
    for (const start of [...this.slices.keys()]) if (!present.has(start)) this.slices.delete(start);
    for (const stored of d.changed) this.slices.set(stored[0], sliceOf(stored));
    this.firedUpTo = d.firedUpTo;
    for (const life of this.lifecycles.values()) life.stop();
    this.lifecycles = new Map(d.lifecycles.map(([end, snap]) => [end, startWindowLifecycle(end - this.size, end, snap)]));
    this.lastSlice = undefined;
    this.lastSliceStart = NaN;
  }

  /** Restores from several old subtasks' snapshots (rescaling), keeping the keys this subtask owns. */
  restoreFiltered(states: unknown[], owns: (key: K) => boolean): void {
    const parts = states as Array<{ slices: Array<StoredSlice<K, ACC>>; firedUpTo: number; lifecycles: Array<[number, unknown]> } | null>;
    const slices: Array<[number, Map<K, ACC>]> = [];
    const lifecycles = new Map<number, unknown>();
    let firedUpTo = -Infinity;
    for (const p of parts) {
      if (!p) continue;
      for (const stored of p.slices) slices.push([stored[0], sliceOf(stored, owns)]);
      for (const [end, snap] of p.lifecycles) if (!lifecycles.has(end)) lifecycles.set(end, snap);
      firedUpTo = Math.max(firedUpTo, p.firedUpTo);
    }
    this.restore({ slices: [], firedUpTo, lifecycles: [...lifecycles] });
    for (const [start, entries] of slices) {
      let slice = this.slices.get(start);
      if (!slice) this.slices.set(start, (slice = new Map()));
      for (const [k, acc] of entries) slice.set(k, acc);
    }
  }

  restore(state: unknown): void {
    const s = state as { slices: Array<StoredSlice<K, ACC>>; firedUpTo: number; lifecycles: Array<[number, unknown]> } | null;
    for (const life of this.lifecycles.values()) life.stop();
    this.slices = new Map((s?.slices ?? []).map((stored) => [stored[0], sliceOf(stored)]));
    this.firedUpTo = s?.firedUpTo ?? -Infinity;
    this.lifecycles = new Map((s?.lifecycles ?? []).map(([end, snap]) => [end, startWindowLifecycle(end - this.size, end, snap)]));
    this.lastSlice = undefined;
    this.lastSliceStart = NaN;
    this.touched.clear();
  }
}

/** A slice in a snapshot, columnar: its start, its keys and their accumulators (no pair array per key to build and pack). */
type SliceColumns<K, ACC> = [number, K[], ACC[]];
/** What restores read: the columnar layout, or the `[start, [[key, acc], …]]` pairs earlier snapshots wrote. */
type StoredSlice<K, ACC> = SliceColumns<K, ACC> | [number, Array<[K, ACC]>];

function columns<K, ACC>(start: number, slice: Map<K, ACC>): SliceColumns<K, ACC> {
  const keys: K[] = [];
  const accs: ACC[] = [];
  slice.forEach((acc, key) => {
    keys.push(key);
    accs.push(acc);
  });
  return [start, keys, accs];
}

/** The slice a stored one holds, keeping only the keys `owns` accepts (rescaling). */
function sliceOf<K, ACC>(stored: StoredSlice<K, ACC>, owns?: (key: K) => boolean): Map<K, ACC> {
  const slice = new Map<K, ACC>();
  if (stored.length === 3) {
    const [, keys, accs] = stored;
    for (let i = 0; i < keys.length; i++) if (!owns || owns(keys[i]!)) slice.set(keys[i]!, accs[i]!);
  } else for (const [key, acc] of stored[1]) if (!owns || owns(key)) slice.set(key, acc);
  return slice;
}
