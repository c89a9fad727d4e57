import type { Collector } from '../../src/runtime/collector.ts';
import type { AggregateFunction, ProcessWindowFunction } from '../../src/windows/window-function.ts';
import type { TimeWindow } from '../../src/windows/assigners/window-assigner.ts';
import type { Evictor, TimestampedValue } from '../../src/windows/evictors/evictor.ts';

/** An evicting window: the accumulator is the list of timestamped elements; the user's function runs on what the evictor leaves. */
export interface Evicting {
  evictor: Evictor<unknown>;
  /** The user's reduce/aggregate, folded over the remaining elements; absent for `process` (it gets the elements). */
  fold?: AggregateFunction<unknown, unknown, unknown>;
}

/**
 * Turns a window's accumulator into output: the aggregate's result, or what the process
 * function emits for it. Output records carry the window's max timestamp (end − 1).
 */
export class WindowEmitter<T, ACC, R, OUT, K> {
  constructor(
    readonly aggregate: AggregateFunction<T, ACC, R>,
    private readonly process: ProcessWindowFunction<R, OUT, K> | undefined,
    /** True when the process function wants the elements (the accumulator is the element list). */
    private readonly elementsAreResult: boolean,
    private readonly evicting?: Evicting,
  ) {}

  /** Whether firing changes the accumulator (evictors remove elements from it). */
  get mutatesOnFire(): boolean {
    return this.evicting !== undefined;
  }

  emit(key: K, acc: ACC, window: TimeWindow, watermark: number, out: Collector<OUT>): void {
    if (this.evicting) {
      this.emitEvicting(key, acc as unknown as Array<TimestampedValue<unknown>>, window, watermark, out);
      return;
    }
    const result = this.aggregate.getResult(acc);
    if (!this.process) {
      out.emit(result as unknown as OUT, window.end - 1);
      return;
    }
    const elements = this.elementsAreResult ? (result as unknown as R[]) : [result];
    this.process(key, elements, { window, currentWatermark: watermark }, out);
  }

  /** {@link emit} for window [start, end): the window object is made only for a process function or evictor (a session fires about once per few records). */
  emitRange(key: K, acc: ACC, start: number, end: number, watermark: number, out: Collector<OUT>): void {
    if (this.process === undefined && this.evicting === undefined) out.emit(this.aggregate.getResult(acc) as unknown as OUT, end - 1);
    else this.emit(key, acc, { start, end }, watermark, out);
  }

  /** Flink's EvictingWindowOperator order: evictBefore, the window function, evictAfter — each in place on the window's list. */
  private emitEvicting(key: K, elements: Array<TimestampedValue<unknown>>, window: TimeWindow, watermark: number, out: Collector<OUT>): void {
    const { evictor, fold } = this.evicting!;
    evictor.evictBefore(elements, window);
    const values = elements.map((e) => e.value);
    if (fold) {
      if (values.length === 0) return; // everything evicted: nothing to reduce, nothing emitted
      let acc = fold.createAccumulator();
      for (const v of values) acc = fold.add(v, acc);
      const result = fold.getResult(acc);
      if (this.process) this.process(key, [result as R], { window, currentWatermark: watermark }, out);
      else out.emit(result as OUT, window.end - 1);
    } else this.process!(key, values as unknown as R[], { window, currentWatermark: watermark }, out);
    evictor.evictAfter(elements, window);
  }
}
