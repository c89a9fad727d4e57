import type { Collector } from '../../src/runtime/collector.ts';
import type { TimeWindow } from '../../src/windows/assigners/window-assigner.ts';
import type { WindowEmitter } from './window-emitter.ts';
import { startWindowLifecycle, type WindowLifecycle } from '../../src/windows/window-lifecycle.ts';
import { KeySlots } from './key-slots.ts';
import { Slice, copyInto, type SharedSlice, type SliceArrays, type SliceColumns, type StoredSlice } from './slice.ts';
import { SliceBlocks, MAX_BLOCK_SLICES, copyColumn, mergeColumnInto, type SliceColumn } from './slice-blocks.ts';

/** Where firings go: a collector that may grow its arrays once per firing (see `BatchCollector.reserve`). */
type FiringCollector<T> = Collector<T> & { reserve?(n: number): void; settle?(): void };

/** Accumulators added, none of them an object, before local snapshots keep slices by reference. */
const BY_REFERENCE_PROBATION = 1024;
/** Emptied slices kept for reuse (their arrays are already as long as the key index). */
const SPARE_SLICES = 4;

/**
 * Tumbling and sliding event-time windows over shared slices of gcd(size, slide): a record
 * updates one accumulator in one slice; a firing window merges its slices per key. Windows fire
 * when the watermark passes their end; records inside the allowed lateness update a fired window
 * and fire it again for their key; later ones go to the late output.
 *
 * Keys have dense slots ({@link KeySlots}) and a slice is an array of accumulators by slot, so a
 * record costs one key-index lookup and an array write, and a firing merges slices in array loops.
 * Consecutive sliding firings share their merges ({@link SliceBlocks}): about two column merges
 * per firing instead of one per slice.
 */
export class SlicedWindows<T, K, ACC, OUT> {
  private slices = new Map<number, Slice<K, ACC>>();
  private keys = new KeySlots<K>();
  private spare: Array<Slice<K, ACC>> = [];
  /** Arrays only the latest snapshot kept by reference still holds: free once the next one replaces it. */
  private heldBySnapshot: Array<SliceArrays<ACC>> = [];
  /** Arrays no slice and no snapshot holds, for new slices and copies (allocating 10k-entry arrays is most of a scavenge's work). */
  private freeArrays: Array<SliceArrays<ACC>> = [];
  /** The slot → key copy the latest snapshot kept by reference holds (rewritten by the next one). */
  private snapshotKeys: Array<K | undefined> = [];
  /** A firing's merged primitive accumulators by slot (reused: every slot below the firing's capacity is written before it is read). */
  private mergeScratch: Array<ACC | undefined> = [];
  /** Windows with end ≤ firedUpTo have fired. */
  private firedUpTo = -Infinity;
  /** The slice the last record went to, its bounds and the end of the last window holding it: the record path's cache. */
  private lastSlice: Slice<K, ACC> | undefined;
  private lastSliceStart = NaN;
  private lastSliceEnd = NaN;
  private lastWindowEnd = NaN;
  private lifecycles = new Map<number, WindowLifecycle>();
  /** Traceparents of sampled records per slice (at most 16 each): a firing window links them. Not snapshotted. */
  private links = new Map<number, string[]>();
  /** Called when a window that holds sampled records fires. */
  onTracedFiring: ((start: number, end: number, links: string[]) => void) | undefined;
  /** Accumulators added so far, and whether one was an object (it may be changed in place later). */
  private adds = 0;
  private objectAccumulators = false;

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
  ) {
    const perWindow = size / sliceSize;
    if (slide === sliceSize && perWindow >= 2 && perWindow <= MAX_BLOCK_SLICES) this.blocks = new SliceBlocks(perWindow, this.merge);
  }

  /** The aggregate's merge, called as its method. */
  private readonly merge = (a: ACC, b: ACC): ACC => this.emitter.aggregate.merge(a, b);

  /** Slice merges shared by consecutive sliding firings (windows that slide by one slice). */
  private readonly blocks: SliceBlocks<ACC> | undefined;

  /** Adds a record; returns false when it is too late for every window it belongs to. */
  add(value: T, ts: number, key: K, watermark: number, out: FiringCollector<OUT>): boolean {
    let slice = this.lastSlice;
    // Every ts of a slice has the same last window (slide is a multiple of the slice size).
    if (slice === undefined || !(ts >= this.lastSliceStart && ts < this.lastSliceEnd)) {
      const lastStart = Math.floor((ts - this.offset) / this.slide) * this.slide + this.offset;
      if (lastStart + this.size - 1 + this.lateness <= watermark) return false;
      slice = this.enter(ts, lastStart + this.size);
    } else if (this.lastWindowEnd - 1 + this.lateness <= watermark) return false;
    const slot = this.keys.slotOf(key);
    const accs = slice.accs;
    if (slot >= accs.length) slice.grow(this.keys.capacity);
    const acc = accs[slot];
    const agg = this.emitter.aggregate;
    const next = agg.add(value, acc === undefined ? agg.createAccumulator() : acc);
    if (typeof next === 'object' || typeof next === 'function') this.objectAccumulators = true;
    this.adds++;
    if (acc === undefined && next !== undefined) {
      slice.slots.push(slot);
      this.keys.hold(slot);
    }
    accs[slot] = next;
    // Late but allowed: the fired windows holding this record fire again, for this key only.
    // (Every window holding ts ends after ts, so nothing fired holds it while ts >= firedUpTo.)
    if (ts < this.firedUpTo) {
      this.blocks?.invalidate();
      for (let start = this.lastWindowEnd - this.size; start > ts - this.size; start -= this.slide) {
        const end = start + this.size;
        if (end <= this.firedUpTo && end - 1 + this.lateness > watermark) this.fireKey(slot, key, start, end, watermark, out);
      }
    }
    return true;
  }

  /** Makes the slice holding `ts` the record path's current one, creating it if need be. */
  private enter(ts: number, lastWindowEnd: number): Slice<K, ACC> {
    const start = Math.floor((ts - this.offset) / this.sliceSize) * this.sliceSize + this.offset;
    let slice = this.slices.get(start);
    if (slice === undefined) {
      slice = this.spare.pop() ?? new Slice<K, ACC>(start);
      if (slice.accs.length === 0 && this.freeArrays.length > 0) slice.adopt(this.freeArrays.pop()!);
      slice.start = start;
      slice.grow(this.keys.capacity);
      this.slices.set(start, slice);
    }
    // The record path writes the current slice without telling it: its snapshot columns are never
    // cached (see columnsOf), and it has arrays of its own (see snapshotShared).
    slice.columns = undefined;
    if (slice.shared) this.holdUntilNextSnapshot(slice.unshare(this.freeArrays.pop())!);
    this.lastSlice = slice;
    this.lastSliceStart = start;
    this.lastSliceEnd = start + this.sliceSize;
    this.lastWindowEnd = lastWindowEnd;
    this.touched.add(start);
    return slice;
  }

  /** Early firings every `intervalMs` of event time while a window is open (Flink's ContinuousEventTimeTrigger). */
  earlyEveryMs: number | undefined;
  /** Clear a window's contents whenever it fires (Flink's PurgingTrigger; tumbling windows only). */
  purgeOnFire = false;
  private lastAdvance = -Infinity;

  /** Fires every window whose end the watermark passed, then purges what no window needs any more. */
  advance(watermark: number, out: FiringCollector<OUT>): void {
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
  private fireEarly(watermark: number, out: FiringCollector<OUT>): void {
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
    this.slices.get(start)?.clear(this.keys);
    this.touched.add(start);
  }

  private fireWindow(start: number, end: number, watermark: number, out: FiringCollector<OUT>): void {
    if (!this.holdsData(start, end)) return;
    const life = this.lifecycles.get(end) ?? startWindowLifecycle(start, end);
    this.lifecycles.set(end, life);
    life.send({ type: 'FIRE' });
    this.emitWindow(start, end, watermark, out, true);
    if (this.purgeOnFire) this.purgeSlice(start);
    if (this.links.size > 0 && this.onTracedFiring) {
      const links: string[] = [];
      for (let s = start; s < end; s += this.sliceSize) for (const l of this.links.get(s) ?? []) links.push(l);
      if (links.length > 0) this.onTracedFiring(start, end, links);
    }
    life.send({ type: 'FIRED' });
    this.firings++;
  }

  /** A late record's key fires again in window [start, end): the merge of its slices for that slot. */
  private fireKey(slot: number, key: K, start: number, end: number, watermark: number, out: FiringCollector<OUT>): void {
    const agg = this.emitter.aggregate;
    let acc: ACC | undefined;
    let found = false;
    for (let s = start; s < end; s += this.sliceSize) {
      const slice = this.slices.get(s);
      const a = slice === undefined || slot >= slice.accs.length ? undefined : slice.accs[slot];
      if (a === undefined) continue;
      // A tumbling window passes its one accumulator as is; merges never take a slice's own accumulator first.
      acc = this.sliceSize === this.size ? a : agg.merge(found ? acc! : agg.createAccumulator(), a);
      found = true;
      if (this.emitter.mutatesOnFire && this.sliceSize === this.size) {
        slice!.columns = undefined;
        this.touched.add(start);
      }
    }
    if (!found) return;
    const life = this.lifecycles.get(end);
    life?.send({ type: 'FIRE' });
    this.emitter.emit(key, acc!, { start, end }, watermark, out);
    life?.send({ type: 'FIRED' });
  }

  /** Whether some slice of [start, end) holds a key. */
  private holdsData(start: number, end: number): boolean {
    for (let s = start; s < end; s += this.sliceSize) if ((this.slices.get(s)?.size ?? 0) > 0) return true;
    return false;
  }

  /**
   * Emits each key's merge of the slices in [start, end): a tumbling window's keys in the order
   * they came, a sliding window's in slot order. No Map lookups, nothing allocated per key.
   */
  private emitWindow(start: number, end: number, watermark: number, out: FiringCollector<OUT>, complete = false): void {
    const window = { start, end };
    const emitter = this.emitter;
    const keys = this.keys.keys;
    if (this.sliceSize === this.size) {
      const slice = this.slices.get(start);
      if (slice === undefined) return;
      // An evictor removes elements from the window's own (one) slice: the next delta must carry it.
      if (emitter.mutatesOnFire) {
        slice.columns = undefined;
        this.touched.add(start);
      }
      const { accs, slots } = slice;
      out.reserve?.(slots.length);
      try {
        for (let i = 0; i < slots.length; i++) emitter.emit(keys[slots[i]!]!, accs[slots[i]!]!, window, watermark, out);
      } finally {
        out.settle?.();
      }
      return;
    }
    const n = this.keys.capacity;
    const primitive = !this.objectAccumulators;
    if (complete && primitive && this.blocks !== undefined) {
      const column = (q: number): SliceColumn<ACC> | undefined => {
        const slice = this.slices.get(q * this.sliceSize + this.offset);
        if (slice === undefined || slice.size === 0) return undefined;
        slice.grow(n);
        return slice.accs;
      };
      const [first, second] = this.blocks.window((start - this.offset) / this.sliceSize, n, column);
      out.reserve?.(n);
      try {
        if (first === undefined) this.emitColumn(second, n, window, watermark, out);
        else this.emitMerged(first, second, n, window, watermark, out);
      } finally {
        out.settle?.();
      }
      return;
    }
    // Slot order, every slice at once: each array is read front to back (walking each slice's own
    // slot list jumped across arrays larger than the cache, at twice the cost per key). The
    // slices are grown to the full index first, so no read checks its array's length.
    const columns: Array<Array<ACC | undefined>> = [];
    for (let s = start; s < end; s += this.sliceSize) {
      const slice = this.slices.get(s);
      if (slice === undefined || slice.size === 0) continue;
      slice.grow(n);
      columns.push(slice.accs);
    }
    if (columns.length === 0) return;
    out.reserve?.(n);
    try {
      this.mergeSlots(columns, n, primitive, window, watermark, out);
    } finally {
      out.settle?.();
    }
  }

  /** Each slot's merge over the window's slice columns, emitted in slot order. */
  private mergeSlots(columns: Array<Array<ACC | undefined>>, n: number, primitive: boolean, window: TimeWindow, watermark: number, out: FiringCollector<OUT>): void {
    const agg = this.emitter.aggregate;
    const emitter = this.emitter;
    const keys = this.keys.keys;
    const m = columns.length;
    if (primitive) {
      // Column by column into a scratch column: each slice's column is read in order (row by row
      // jumped between m arrays per slot). A primitive accumulator can be merged into as it is.
      const merged = this.mergeScratch;
      if (merged.length < n) merged.length = n;
      copyColumn(merged, columns[0]!, n);
      for (let k = 1; k < m; k++) mergeColumnInto(merged, columns[k], n, this.merge);
      this.emitColumn(merged, n, window, watermark, out);
      return;
    }
    for (let slot = 0; slot < n; slot++) {
      let acc: ACC | undefined;
      let found = false;
      for (let k = 0; k < m; k++) {
        const next = columns[k]![slot];
        if (next === undefined) continue;
        // merge may reuse its first argument, so a slice's own (object) accumulator is never passed first.
        acc = agg.merge(found ? acc! : agg.createAccumulator(), next);
        found = true;
      }
      if (found) emitter.emit(keys[slot]!, acc!, window, watermark, out);
    }
  }

  /** Emits each slot's merged accumulator, in slot order. */
  private emitColumn(merged: SliceColumn<ACC>, n: number, window: TimeWindow, watermark: number, out: FiringCollector<OUT>): void {
    const emitter = this.emitter;
    const keys = this.keys.keys;
    for (let slot = 0; slot < n; slot++) {
      const acc = merged[slot];
      if (acc !== undefined) emitter.emit(keys[slot]!, acc, window, watermark, out);
    }
  }

  /** Emits each slot's merge first ⊕ second (primitive accumulators), in slot order. */
  private emitMerged(first: SliceColumn<ACC>, second: SliceColumn<ACC>, n: number, window: TimeWindow, watermark: number, out: FiringCollector<OUT>): void {
    const emitter = this.emitter;
    const agg = emitter.aggregate;
    const keys = this.keys.keys;
    for (let slot = 0; slot < n; slot++) {
      const a = first[slot];
      const b = second[slot];
      if (a === undefined) {
        if (b !== undefined) emitter.emit(keys[slot]!, b, window, watermark, out);
      } else emitter.emit(keys[slot]!, b === undefined ? a : agg.merge(a, b), window, watermark, out);
    }
  }

  private purge(watermark: number): void {
    let dropped = false;
    for (const [s, slice] of this.slices) {
      const lastStart = Math.floor((s - this.offset) / this.slide) * this.slide + this.offset;
      if (lastStart + this.size - 1 + this.lateness <= watermark && lastStart + this.size <= this.firedUpTo) {
        this.drop(s, slice);
        dropped = true;
      }
    }
    if (dropped) {
      this.keys.sweep();
      if (this.keys.sparse) this.compact();
    }
    for (const [end, life] of this.lifecycles) {
      if (end - 1 + this.lateness <= watermark) {
        life.send({ type: 'PURGE' });
        life.stop();
        this.lifecycles.delete(end);
      }
    }
  }

  /** Most slots are free (many keys went away): moves the held keys to a fresh, dense index, as firings scan every slot. */
  private compact(): void {
    const keys = new KeySlots<K>();
    for (const slice of this.slices.values()) slice.rekey(this.keys, keys);
    this.keys = keys;
    this.spare = [];
    this.blocks?.invalidate();
  }

  private drop(start: number, slice: Slice<K, ACC>): void {
    this.slices.delete(start);
    this.links.delete(start);
    if (slice === this.lastSlice) this.lastSlice = undefined;
    const held = slice.clear(this.keys);
    if (held !== undefined) this.holdUntilNextSnapshot(held);
    if (this.spare.length < SPARE_SLICES) this.spare.push(slice);
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

  /** Slots of the key index (held, idle and free ones): what a sliding firing scans. */
  get keySlotCapacity(): number {
    return this.keys.capacity;
  }

  /** Window ranges currently tracked by a lifecycle machine. */
  get openRanges(): number {
    return this.lifecycles.size;
  }

  /** A slice's snapshot columns; cached for the next snapshot unless the record path writes the slice unannounced. */
  private columnsOf(slice: Slice<K, ACC>): SliceColumns<K, ACC> {
    const columns = slice.toColumns(this.keys);
    if (slice === this.lastSlice) slice.columns = undefined;
    return columns;
  }

  /**
   * Local snapshots may keep slices by reference (see `Operator.snapshotByReference`) when every
   * accumulator is a primitive, which nothing can change in place; evictors change theirs on firing.
   */
  snapshotByReference(): boolean {
    return !this.objectAccumulators && !this.emitter.mutatesOnFire && this.adds >= BY_REFERENCE_PROBATION;
  }

  snapshot(): unknown {
    return {
      slices: [...this.slices.values()].map((slice) => this.columnsOf(slice)),
      firedUpTo: this.firedUpTo,
      lifecycles: [...this.lifecycles].map(([end, life]) => [end, life.getPersistedSnapshot()]),
    };
  }

  /** The slices updated since the last snapshot (with `all`, every slice, kept by reference), which slices exist, and the (small) lifecycle state. */
  snapshotDelta(all = false): unknown {
    if (all) return this.snapshotShared();
    const changed: Array<SliceColumns<K, ACC>> = [];
    for (const start of this.touched) {
      const slice = this.slices.get(start);
      if (slice) changed.push(this.columnsOf(slice));
    }
    this.clearDelta();
    return { changed, present: [...this.slices.keys()], firedUpTo: this.firedUpTo, lifecycles: [...this.lifecycles].map(([end, life]) => [end, life.getPersistedSnapshot()]) };
  }

  /**
   * Every slice, for a local snapshot kept by reference: the slices' own arrays, which they copy
   * before changing (closed slices seldom change again, so most are never copied), and a copy of
   * slot → key. The current slice, which the record path writes unannounced, is copied now.
   *
   * The actor keeps one such snapshot, replaced by the next (see `Operator.snapshotDelta`): arrays
   * only the previous one held are free for reuse from now on.
   */
  private snapshotShared(): unknown {
    for (const arrays of this.heldBySnapshot) if (this.freeArrays.length < SPARE_SLICES) this.freeArrays.push(arrays);
    this.heldBySnapshot = [];
    const shared: Array<SharedSlice<ACC>> = [];
    for (const slice of this.slices.values()) shared.push(slice.share());
    if (this.lastSlice?.shared) this.holdUntilNextSnapshot(this.lastSlice.unshare(this.freeArrays.pop())!);
    const keys = copyInto(this.snapshotKeys, this.keys.keys);
    this.clearDelta();
    // Nor may the machines' context change under the snapshot: copy it.
    const lifecycles = [...this.lifecycles].map(([end, life]) => [end, structuredClone(life.getPersistedSnapshot())]);
    return { shared, keys, present: [...this.slices.keys()], firedUpTo: this.firedUpTo, lifecycles };
  }

  /** Arrays the latest snapshot kept by reference holds, to reuse once the next replaces it (no more than can be reused). */
  private holdUntilNextSnapshot(arrays: SliceArrays<ACC>): void {
    if (this.heldBySnapshot.length < SPARE_SLICES) this.heldBySnapshot.push(arrays);
  }

  clearDelta(): void {
    this.touched.clear();
    if (this.lastSlice !== undefined) this.touched.add(this.lastSliceStart);
  }

  restoreDelta(delta: unknown): void {
    type Delta = { present: number[]; firedUpTo: number; lifecycles: Array<[number, unknown]> } & ({ changed: Array<StoredSlice<K, ACC>> } | { shared: Array<SharedSlice<ACC>>; keys: Array<K | undefined> });
    const d = delta as Delta;
    const present = new Set(d.present);
    for (const [start, slice] of this.slices) if (!present.has(start)) this.drop(start, slice);
    if ('shared' in d)
      for (const shared of d.shared) {
        const slice = this.sliceAt(shared[0]);
        slice.clear(this.keys);
        slice.loadShared(shared, d.keys, this.keys);
      }
    else
      for (const stored of d.changed) {
        const slice = this.sliceAt(stored[0]);
        slice.clear(this.keys);
        slice.load(stored, this.keys);
      }
    this.firedUpTo = d.firedUpTo;
    this.restoreLifecycles(d.lifecycles);
    this.lastSlice = undefined;
    this.blocks?.invalidate();
  }

  /** Restores from several old subtasks' snapshots (rescaling), keeping the keys this subtask owns. */
  restoreFiltered(states: unknown[], owns: (key: K) => boolean): void {
    const parts = states as Array<{ slices: Array<StoredSlice<K, ACC>>; firedUpTo: number; lifecycles: Array<[number, unknown]> } | null>;
    const lifecycles = new Map<number, unknown>();
    let firedUpTo = -Infinity;
    for (const p of parts) {
      if (!p) continue;
      for (const [end, snap] of p.lifecycles) if (!lifecycles.has(end)) lifecycles.set(end, snap);
      firedUpTo = Math.max(firedUpTo, p.firedUpTo);
    }
    this.restore({ slices: [], firedUpTo, lifecycles: [...lifecycles] });
    for (const p of parts) for (const stored of p?.slices ?? []) this.sliceAt(stored[0]).load(stored, this.keys, owns);
  }

  restore(state: unknown): void {
    const s = state as { slices: Array<StoredSlice<K, ACC>>; firedUpTo: number; lifecycles: Array<[number, unknown]> } | null;
    this.slices = new Map();
    this.keys = new KeySlots();
    this.spare = [];
    this.heldBySnapshot = [];
    this.freeArrays = [];
    this.snapshotKeys = [];
    for (const stored of s?.slices ?? []) this.sliceAt(stored[0]).load(stored, this.keys);
    this.firedUpTo = s?.firedUpTo ?? -Infinity;
    this.restoreLifecycles(s?.lifecycles ?? []);
    this.lastSlice = undefined;
    this.touched.clear();
    this.blocks?.invalidate();
  }

  private sliceAt(start: number): Slice<K, ACC> {
    let slice = this.slices.get(start);
    if (slice === undefined) this.slices.set(start, (slice = new Slice<K, ACC>(start)));
    return slice;
  }

  /** Restarts the lifecycle machines from their snapshots (copied: a snapshot kept by reference may be restored again). */
  private restoreLifecycles(snapshots: Array<[number, unknown]>): void {
    for (const life of this.lifecycles.values()) life.stop();
    this.lifecycles = new Map(snapshots.map(([end, snap]) => [end, startWindowLifecycle(end - this.size, end, structuredClone(snap))]));
  }
}
