import type { KeyedStream } from './keyed-stream.ts';
import type { DataStream } from './data-stream.ts';
import type { WindowAssigner } from '../windows/assigners/window-assigner.ts';
import type { AggregateFunction, ProcessWindowFunction } from '../windows/window-function.ts';
import type { OutputTag } from './output-tag.ts';
import { reduceAsAggregate, listAggregate } from '../windows/window-function.ts';
import { WindowOperator } from '../../actors/window/window-operator.ts';
import { InvalidJobError } from '../errors.ts';

/**
 * A keyed stream cut into windows. Configure lateness and triggers, then reduce, aggregate or
 * process each window.
 * @example
 * ```ts
 * clicks.keyBy((c) => c.page).window(TumblingEventTimeWindows.of(10_000)).allowedLateness(5_000).aggregate(countAgg)
 * ```
 */
export class WindowedStream<T, K> {
  private latenessMs = 0;
  private lateTag: OutputTag<T> | undefined;
  private count: number | undefined;

  constructor(
    private readonly keyed: KeyedStream<T, K>,
    private readonly assigner: WindowAssigner,
  ) {}

  /** Records up to `ms` behind the watermark still update (and re-fire) their windows. */
  allowedLateness(ms: number): this {
    if (!(ms >= 0)) throw new InvalidJobError(`allowedLateness must be >= 0 ms, got ${ms}`);
    this.latenessMs = ms;
    return this;
  }

  /** Records later than the allowed lateness go to this side output instead of dead letters. */
  sideOutputLateData(tag: OutputTag<T>): this {
    this.lateTag = tag;
    return this;
  }

  /** Fires (and purges) a key's window every `n` records — the trigger of the global window. */
  countTrigger(n: number): this {
    if (!Number.isInteger(n) || n < 1) throw new InvalidJobError(`countTrigger needs a positive integer, got ${n}`);
    this.count = n;
    return this;
  }

  /** Reduces each window incrementally; with `process`, the window function gets the one reduced value. */
  reduce<OUT = T>(fn: (a: T, b: T) => T, process?: ProcessWindowFunction<T, OUT, K>, name = 'window-reduce'): DataStream<OUT> {
    return this.build<T | undefined, T, OUT>(name, reduceAsAggregate(fn), process, false);
  }

  /** Aggregates each window incrementally; with `process`, the window function gets the one result. */
  aggregate<ACC, R, OUT = R>(fn: AggregateFunction<T, ACC, R>, process?: ProcessWindowFunction<R, OUT, K>, name = 'window-aggregate'): DataStream<OUT> {
    return this.build<ACC, R, OUT>(name, fn, process, false);
  }

  /** Runs `fn` over all elements of each window when it fires. */
  process<OUT>(fn: ProcessWindowFunction<T, OUT, K>, name = 'window-process'): DataStream<OUT> {
    return this.build<T[], T[], OUT>(name, listAggregate<T>(), fn as unknown as ProcessWindowFunction<T[], OUT, K>, true);
  }

  private build<ACC, R, OUT>(name: string, aggregate: AggregateFunction<T, ACC, R>, process: ProcessWindowFunction<R, OUT, K> | undefined, elementsAreResult: boolean): DataStream<OUT> {
    const spec = { assigner: this.assigner, key: this.keyed.key, aggregate, process, elementsAreResult, allowedLatenessMs: this.latenessMs, lateTag: this.lateTag?.id, count: this.count };
    return this.keyed.keyedOperator<OUT>(name, () => new WindowOperator(name, spec));
  }
}
