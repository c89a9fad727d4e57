import type { KeyedStream } from './keyed-stream.ts';
import type { DataStream } from './data-stream.ts';
import type { WindowAssigner } from '../windows/assigners/window-assigner.ts';
import type { AggregateFunction, ProcessWindowFunction } from '../windows/window-function.ts';
import type { OutputTag } from './output-tag.ts';
import type { Evictor, TimestampedValue } from '../windows/evictors/evictor.ts';
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
  private continuousMs: number | undefined;
  private purging = false;
  private evictorFn: Evictor<T> | undefined;

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

  /**
   * Fires open windows early every `intervalMs` of event time with their current result (Flink's
   * ContinuousEventTimeTrigger), besides the final firing at the window end.
   */
  continuousTrigger(intervalMs: number): this {
    if (!Number.isInteger(intervalMs) || intervalMs < 1) throw new InvalidJobError(`continuousTrigger needs a positive whole number of ms, got ${intervalMs}`);
    this.continuousMs = intervalMs;
    return this;
  }

  /** Clears a window's contents whenever it fires, so each firing reports only what arrived since the last (Flink's PurgingTrigger; tumbling windows). */
  purgingTrigger(): this {
    this.purging = true;
    return this;
  }

  /**
   * Keeps each window's elements and lets `evictor` remove some when it fires, before or after the
   * window function (Flink's evictors: {@link CountEvictor}, {@link TimeEvictor}, {@link DeltaEvictor}).
   * There is no pre-aggregation then: reduce and aggregate run over the remaining elements at firing.
   * @example
   * ```ts
   * clicks.keyBy((c) => c.page).window(GlobalWindows.create()).countTrigger(10).evictor(CountEvictor.of(3)).process(lastThree)
   * ```
   */
  evictor(evictor: Evictor<T>): this {
    this.evictorFn = evictor;
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
    const a = this.assigner;
    // Event-time windows fire on watermarks only (processing-time ones on the clock, which a replay does not repeat).
    const eventTime = a.kind === 'global' || a.processingTime !== true;
    if ((this.purging || this.continuousMs !== undefined) && a.kind !== 'sliding') throw new InvalidJobError(`window '${name}': continuous and purging triggers apply to tumbling and sliding windows`);
    if (this.purging && a.kind === 'sliding' && a.slide !== a.size) throw new InvalidJobError(`window '${name}': a purging trigger needs tumbling windows (sliding windows share their slices)`);
    if (this.evictorFn) {
      // Elements are kept as { value, timestamp }; the user's function runs over what the evictor leaves.
      const evicting = { evictor: this.evictorFn as Evictor<unknown>, fold: elementsAreResult ? undefined : (aggregate as AggregateFunction<unknown, unknown, unknown>) };
      const spec = { assigner: a, key: this.keyed.key, aggregate: listAggregate<TimestampedValue<T>>() as unknown as AggregateFunction<T, ACC, R>, process, elementsAreResult: true, allowedLatenessMs: this.latenessMs, lateTag: this.lateTag?.id, count: this.count, continuousMs: this.continuousMs, purging: this.purging, evicting };
      return this.keyed.keyedOperator<OUT>(name, () => new WindowOperator(name, spec), false, eventTime);
    }
    const spec = { assigner: this.assigner, key: this.keyed.key, aggregate, process, elementsAreResult, allowedLatenessMs: this.latenessMs, lateTag: this.lateTag?.id, count: this.count, continuousMs: this.continuousMs, purging: this.purging };
    return this.keyed.keyedOperator<OUT>(name, () => new WindowOperator(name, spec), false, eventTime);
  }
}
