import type { Collector } from '../../src/runtime/collector.ts';
import type { AggregateFunction, ProcessWindowFunction } from '../../src/windows/window-function.ts';
import type { TimeWindow } from '../../src/windows/assigners/window-assigner.ts';

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
  ) {}

  emit(key: K, acc: ACC, window: TimeWindow, watermark: number, out: Collector<OUT>): void {
    const result = this.aggregate.getResult(acc);
    if (!this.process) {
      out.emit(result as unknown as OUT, window.end - 1);
      return;
    }
    const elements = this.elementsAreResult ? (result as unknown as R[]) : [result];
    this.process(key, elements, { window, currentWatermark: watermark }, out);
  }
}
