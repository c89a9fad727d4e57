import { InvalidJobError } from '../../errors.ts';
import { removeWhere, type Evictor, type TimestampedValue } from './evictor.ts';

/**
 * Keeps at most `maxCount` elements in a window, evicting the oldest (Flink's CountEvictor).
 * By default it evicts before the window function runs; with `doEvictAfter`, after it.
 * @example
 * ```ts
 * stream.keyBy((r) => r.user).window(GlobalWindows.create()).countTrigger(10).evictor(CountEvictor.of(5))
 * ```
 */
export const CountEvictor = {
  of<T>(maxCount: number, doEvictAfter = false): Evictor<T> {
    if (!Number.isInteger(maxCount) || maxCount < 0) throw new InvalidJobError(`CountEvictor needs a whole number of elements >= 0, got ${maxCount}`);
    const evict = (elements: Array<TimestampedValue<T>>) => {
      const excess = elements.length - maxCount;
      if (excess > 0) removeWhere(elements, (_e, i) => i < excess);
    };
    return { evictBefore: (es) => !doEvictAfter && evict(es), evictAfter: (es) => doEvictAfter && evict(es) };
  },
};
