import { InvalidJobError } from '../../errors.ts';
import { removeWhere, type Evictor, type TimestampedValue } from './evictor.ts';

/**
 * Keeps the elements of the last `windowMs` of event time, measured back from the newest
 * element's timestamp: an element at or before `max − windowMs` is evicted (Flink's TimeEvictor).
 * Elements without a timestamp are never evicted, and nothing is when none has one.
 * @example
 * ```ts
 * stream.keyBy((r) => r.user).window(TumblingEventTimeWindows.of(60_000)).evictor(TimeEvictor.of(10_000))
 * ```
 */
export const TimeEvictor = {
  of<T>(windowMs: number, doEvictAfter = false): Evictor<T> {
    if (!(windowMs >= 0)) throw new InvalidJobError(`TimeEvictor needs a window of >= 0 ms, got ${windowMs}`);
    const evict = (elements: Array<TimestampedValue<T>>) => {
      let max = -Infinity;
      for (const e of elements) if (e.timestamp > max) max = e.timestamp;
      if (max === -Infinity) return;
      const cutoff = max - windowMs;
      removeWhere(elements, (e) => e.timestamp <= cutoff);
    };
    return { evictBefore: (es) => !doEvictAfter && evict(es), evictAfter: (es) => doEvictAfter && evict(es) };
  },
};
