import type { Collector } from '../runtime/collector.ts';
import type { TimeWindow } from './assigners/window-assigner.ts';

/**
 * An incremental aggregation (Flink's AggregateFunction): one accumulator per key and window
 * (per slice for sliding windows), merged when a window combines slices or sessions merge.
 * @example
 * ```ts
 * const average: AggregateFunction<number, [number, number], number> = {
 *   createAccumulator: () => [0, 0], add: (v, [s, n]) => [s + v, n + 1], getResult: ([s, n]) => s / n, merge: (a, b) => [a[0] + b[0], a[1] + b[1]],
 * }
 * ```
 */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  add(value: IN, accumulator: ACC): ACC;
  getResult(accumulator: ACC): OUT;
  merge(a: ACC, b: ACC): ACC;
}

/** What a window function learns about the firing window. */
export interface WindowContext {
  window: TimeWindow;
  currentWatermark: number;
}

/**
 * A function over a whole window's contents (or, combined with reduce/aggregate, over its one result).
 * @example
 * ```ts
 * const count: ProcessWindowFunction<Click, { page: string; n: number }, string> = (page, clicks, ctx, out) => out.emit({ page, n: clicks.length }, ctx.window.end - 1)
 * ```
 */
export type ProcessWindowFunction<IN, OUT, K> = (key: K, elements: IN[], context: WindowContext, out: Collector<OUT>) => void;

/** reduce as an aggregate: the accumulator is the reduced value itself (undefined when empty). */
export function reduceAsAggregate<T>(reduce: (a: T, b: T) => T): AggregateFunction<T, T | undefined, T> {
  return {
    createAccumulator: () => undefined,
    add: (v, acc) => (acc === undefined ? v : reduce(acc, v)),
    getResult: (acc) => acc as T,
    merge: (a, b) => (a === undefined ? b : b === undefined ? a : reduce(a, b)),
  };
}

/** A full window as an aggregate whose accumulator is the list of its elements. */
export function listAggregate<T>(): AggregateFunction<T, T[], T[]> {
  return {
    createAccumulator: () => [],
    add: (v, acc) => {
      acc.push(v);
      return acc;
    },
    getResult: (acc) => acc,
    merge: (a, b) => a.concat(b),
  };
}
