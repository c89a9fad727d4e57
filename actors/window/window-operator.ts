import type { BatchOut, Operator, OperatorContext } from '../../src/runtime/operator.ts';
import type { WindowAssigner } from '../../src/windows/assigners/window-assigner.ts';
import type { AggregateFunction, ProcessWindowFunction } from '../../src/windows/window-function.ts';
import { gcd } from '../../src/windows/assigners/window-assigner.ts';
import { WindowEmitter, type Evicting } from './window-emitter.ts';
import { SlicedWindows } from './sliced-windows.ts';
import { SessionWindows, CountWindows } from './session-windows.ts';
import { BatchCollector } from '../collector-adapter.ts';
import { BadRecordError, InvalidJobError, UserFunctionError } from '../../src/errors.ts';
import { keyGroupOf, keyGroupRangeForOperator } from '../../src/state/key-groups.ts';

/** Everything that defines a keyed window operator. */
export interface WindowSpec<T, K, ACC, R, OUT> {
  assigner: WindowAssigner;
  key: (value: T) => K;
  aggregate: AggregateFunction<T, ACC, R>;
  process?: ProcessWindowFunction<R, OUT, K>;
  /** The aggregate collects elements and `process` receives them all. */
  elementsAreResult: boolean;
  allowedLatenessMs: number;
  /** Side-output tag for records later than the allowed lateness; without one they become dead letters. */
  lateTag?: string;
  /** Fire the global window every n records of a key. */
  count?: number;
  /** Early firings every this many ms of event time while a window is open. */
  continuousMs?: number;
  /** Clear window contents whenever it fires. */
  purging?: boolean;
  /** Keep timestamped elements and evict some when the window fires; `aggregate` then collects `{ value, timestamp }`. */
  evicting?: Evicting;
}

type Windows<T, K, OUT> = {
  add(value: T, ts: number, key: K, watermark: number, out: BatchCollector<OUT>): boolean;
  advance(watermark: number, out: BatchCollector<OUT>): void;
  nextFiring?(): number | undefined;
  snapshotDelta?(all?: boolean): unknown;
  snapshotByReference?(): boolean;
  restoreDelta?(delta: unknown): void;
  restoreFiltered(states: unknown[], owns: (key: K) => boolean): void;
  clearDelta?(): void;
  snapshot(): unknown;
  restore(state: unknown): void;
  firings: number;
};

/**
 * A keyed event-time window operator: assigns records to windows, aggregates incrementally,
 * fires on watermarks, handles allowed lateness and sends records that are later still to the
 * late-data side output (or dead letters) — never silently dropped.
 */
export class WindowOperator<T, K, ACC, R, OUT> implements Operator<T, OUT> {
  readonly name: string;
  readonly stateful = true;
  private readonly spec: WindowSpec<T, K, ACC, R, OUT>;
  private windows: Windows<T, K, OUT>;
  private readonly collector = new BatchCollector<OUT>();
  private ctx!: OperatorContext;
  private watermark = -Infinity;
  /** Records that arrived too late for any window. */
  lateRecords = 0;

  constructor(name: string, spec: WindowSpec<T, K, ACC, R, OUT>) {
    this.name = name;
    this.spec = spec;
    const emitter = new WindowEmitter<T, ACC, unknown, OUT, K>(spec.aggregate as AggregateFunction<T, ACC, unknown>, spec.process as ProcessWindowFunction<unknown, OUT, K> | undefined, spec.elementsAreResult, spec.evicting);
    const a = spec.assigner;
    if (a.kind !== 'sliding' && (spec.continuousMs !== undefined || spec.purging)) throw new InvalidJobError(`window '${name}': continuous and purging triggers apply to tumbling and sliding windows`);
    if (a.kind === 'sliding') {
      if (spec.purging && a.slide !== a.size) throw new InvalidJobError(`window '${name}': a purging trigger needs tumbling windows (sliding windows share their slices)`);
      const sliced = new SlicedWindows<T, K, ACC, OUT>(a.size, a.slide, a.offset, gcd(a.size, a.slide), spec.allowedLatenessMs, emitter);
      sliced.earlyEveryMs = spec.continuousMs;
      sliced.purgeOnFire = spec.purging === true;
      this.windows = sliced;
    } else if (a.kind === 'session') {
      const dynamic = a.dynamicGap;
      // An evicting window holds { value, timestamp }: the gap function still sees the value.
      const gap = dynamic === undefined ? a.gap : spec.evicting ? (e: T) => dynamic((e as unknown as { value: unknown }).value) : dynamic;
      this.windows = new SessionWindows(gap, spec.allowedLatenessMs, emitter);
    }
    else {
      if (!spec.count) throw new InvalidJobError(`window '${name}': the global window never fires by itself; add .countTrigger(n)`);
      this.windows = new CountWindows(spec.count, emitter);
    }
  }

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    if (this.windows instanceof SlicedWindows) {
      this.windows.onTracedFiring = (start, end, links) => ctx.inspection.emit({ type: 'window.fired', job: ctx.job, actor: this.name, subtask: ctx.subtask, start, end, links });
    }
  }

  processBatch(values: T[], timestamps: number[] | null, _input: number, out: BatchOut<OUT>): void {
    const c = this.collector.to(out);
    const late = this.spec.lateTag ? this.ctx.sideOutput(this.spec.lateTag) : undefined;
    const global = this.spec.assigner.kind === 'global';
    if (this.processingTime) {
      this.processBatchInProcessingTime(values, out);
      return;
    }
    if (timestamps === null && !global) {
      throw new BadRecordError(`window '${this.name}' needs event timestamps; did you forget to call 'DataStream.assignTimestampsAndWatermarks(...)'?`, { operator: this.name });
    }
    const traced = this.ctx.tracedRecords?.();
    if (traced !== undefined && traced.length > 0 && this.windows instanceof SlicedWindows && timestamps !== null) {
      for (const [j, tp] of traced) if (j < values.length) this.windows.addLink(timestamps[j]!, tp);
    }
    const evicting = this.spec.evicting !== undefined;
    let i = 0;
    try {
      for (; i < values.length; i++) {
        const v = values[i]!;
        const ts = timestamps === null ? NaN : timestamps[i]!;
        // An evicting window keeps each element with its timestamp (the evictors read it).
        const kept = evicting ? ({ value: v, timestamp: ts } as unknown as T) : v;
        if (this.windows.add(kept, ts, this.spec.key(v), this.watermark, c)) continue;
        this.lateRecords++;
        if (late) {
          late.values.push(v);
          late.timestamps?.push(ts);
        } else this.ctx.deadLetter(new BadRecordError(`record at ${ts} is later than the allowed lateness (watermark ${this.watermark}); use sideOutputLateData() to keep late records`, { operator: this.name }), v);
      }
    } catch (e) {
      if (e instanceof BadRecordError) throw e;
      throw new UserFunctionError(this.name, i, values[i], e);
    }
  }

  onWatermark(watermark: number, out: BatchOut<OUT>): void {
    // Processing-time windows ignore event time, except that the end of input fires what is left.
    if (this.processingTime && watermark !== Infinity) return;
    this.watermark = watermark;
    this.windows.advance(watermark, this.collector.to(out));
  }

  private get processingTime(): boolean {
    return this.spec.assigner.kind !== 'global' && this.spec.assigner.processingTime === true;
  }

  /** Every record of the batch belongs to the windows of the moment it is processed. */
  private processBatchInProcessingTime(values: T[], out: BatchOut<OUT>): void {
    const c = this.collector.to(out);
    const now = this.ctx.clock.now();
    let i = 0;
    try {
      for (; i < values.length; i++) {
        const v = values[i]!;
        this.windows.add(this.spec.evicting ? ({ value: v, timestamp: now } as unknown as T) : v, now, this.spec.key(v), this.watermark, c);
      }
    } catch (e) {
      throw new UserFunctionError(this.name, i, values[i], e);
    }
  }

  onProcessingTime(now: number, out: BatchOut<OUT>): void {
    if (!this.processingTime) return;
    this.watermark = now;
    this.windows.advance(now, this.collector.to(out));
  }

  nextProcessingTime(): number | undefined {
    return this.processingTime ? this.windows.nextFiring?.() : undefined;
  }

  /** Windows fired so far (including late firings). */
  get firings(): number {
    return this.windows.firings;
  }

  snapshotState(): unknown {
    return { watermark: this.watermark, late: this.lateRecords, windows: this.windows.snapshot() };
  }

  /** Sliced windows write deltas (the slices that changed; with `all`, every slice); other kinds write their (small) state whole. */
  snapshotDelta(all = false): unknown {
    const w = this.windows;
    return { watermark: this.watermark, late: this.lateRecords, delta: w.snapshotDelta ? w.snapshotDelta(all) : undefined, windows: w.snapshotDelta ? undefined : w.snapshot() };
  }

  /** Sliced windows whose accumulators are primitives let local snapshots keep them by reference (see `Operator.snapshotByReference`). */
  snapshotByReference(): boolean {
    return this.windows.snapshotByReference?.() === true;
  }

  restoreDelta(delta: unknown): void {
    const d = delta as { watermark: number; late: number; delta?: unknown; windows?: unknown };
    this.watermark = d.watermark;
    this.lateRecords = d.late;
    if (d.delta !== undefined) this.windows.restoreDelta!(d.delta);
    else this.windows.restore(d.windows ?? null);
  }

  clearDelta(): void {
    this.windows.clearDelta?.();
  }

  /**
   * Restores at a new parallelism: keeps the keys whose key group this subtask owns, from every
   * old subtask's windows; the watermark restarts at the lowest of theirs (the inputs re-establish it).
   */
  restoreRescaled(states: unknown[]): void {
    const parts = states as Array<{ watermark: number; late: number; windows: unknown } | null>;
    const { maxParallelism, parallelism, subtask } = this.ctx;
    const range = keyGroupRangeForOperator(maxParallelism, parallelism, subtask);
    const owns = (key: K) => {
      const g = keyGroupOf(key, maxParallelism);
      return g >= range.start && g <= range.end;
    };
    this.watermark = Math.min(...parts.map((p) => p?.watermark ?? -Infinity));
    this.lateRecords = subtask === 0 ? parts.reduce((n, p) => n + (p?.late ?? 0), 0) : 0;
    this.windows.restoreFiltered(parts.map((p) => p?.windows ?? null), owns);
  }

  restoreState(state: unknown): void {
    const s = state as { watermark: number; late: number; windows: unknown } | null;
    this.watermark = s?.watermark ?? -Infinity;
    this.lateRecords = s?.late ?? 0;
    this.windows.restore(s?.windows ?? null);
  }
}
