import type { TimeWindow } from '../assigners/window-assigner.ts';

/** An element kept in an evicting window, with its event timestamp (NaN when it has none). */
export interface TimestampedValue<T> {
  value: T;
  timestamp: number;
}

/**
 * Removes elements from a window when it fires (Flink's Evictor): `evictBefore` runs before the
 * window function, `evictAfter` after it. Both remove in place from `elements`, oldest first.
 * A window with an evictor keeps its elements (no pre-aggregation). What an evictor removes from a
 * tumbling, session or global window is gone for later firings of that window too (lateness,
 * continuous triggers); sliding windows share their slices, so there it is removed from that
 * firing's view only.
 * @example
 * ```ts
 * stream.keyBy((r) => r.user).window(TumblingEventTimeWindows.of(60_000)).evictor(CountEvictor.of(100)).process(fn)
 * ```
 */
export interface Evictor<T> {
  evictBefore(elements: Array<TimestampedValue<T>>, window: TimeWindow): void;
  evictAfter(elements: Array<TimestampedValue<T>>, window: TimeWindow): void;
}

/** Removes the elements at the indices for which `drop` holds, keeping the order of the rest. */
export function removeWhere<T>(elements: Array<TimestampedValue<T>>, drop: (e: TimestampedValue<T>, i: number) => boolean): void {
  let kept = 0;
  for (let i = 0; i < elements.length; i++) {
    const e = elements[i]!;
    if (!drop(e, i)) elements[kept++] = e;
  }
  elements.length = kept;
}
