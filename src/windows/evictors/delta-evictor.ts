import { InvalidJobError } from '../../errors.ts';
import { removeWhere, type Evictor, type TimestampedValue } from './evictor.ts';

/**
 * Evicts the elements whose delta to the window's last element is at least `threshold`
 * (Flink's DeltaEvictor), e.g. readings too far from the latest one.
 * @example
 * ```ts
 * readings.keyBy((r) => r.sensor).window(GlobalWindows.create()).countTrigger(20).evictor(DeltaEvictor.of(5, (a, b) => Math.abs(a.celsius - b.celsius)))
 * ```
 */
export const DeltaEvictor = {
  of<T>(threshold: number, delta: (element: T, last: T) => number, doEvictAfter = false): Evictor<T> {
    if (Number.isNaN(threshold)) throw new InvalidJobError('DeltaEvictor needs a threshold, got NaN');
    const evict = (elements: Array<TimestampedValue<T>>) => {
      if (elements.length === 0) return;
      const last = elements[elements.length - 1]!.value;
      removeWhere(elements, (e) => delta(e.value, last) >= threshold);
    };
    return { evictBefore: (es) => !doEvictAfter && evict(es), evictAfter: (es) => doEvictAfter && evict(es) };
  },
};
