/**
 * Latency percentiles with DDSketch (`@datadog/sketches-js`): relative-error quantiles from
 * mergeable buckets. A window's accumulator keeps the sketch's buckets as plain data (bucket key →
 * count), so it snapshots with msgpackr and merges across the slices of a sliding window exactly:
 * merged buckets are the buckets of one sketch fed every value.
 */
import { DDSketch } from '@datadog/sketches-js';

/** Relative accuracy of the percentiles: each is within 1% of a value in the window. */
export const RELATIVE_ACCURACY = 0.01;
const mapping = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY }).mapping;

/** A sketch's buckets as plain data. */
export interface SketchBuckets {
  count: number;
  buckets: Record<string, number>;
}

/** An empty sketch. */
export function emptySketch(): SketchBuckets {
  return { count: 0, buckets: {} };
}

/** Adds a positive value (in place; the accumulator belongs to one slice). */
export function addToSketch(s: SketchBuckets, value: number): SketchBuckets {
  const key = mapping.key(value);
  s.buckets[key] = (s.buckets[key] ?? 0) + 1;
  s.count++;
  return s;
}

/** A new sketch holding both (neither input changes: slices are merged into many windows). */
export function mergeSketches(a: SketchBuckets, b: SketchBuckets): SketchBuckets {
  const buckets = { ...a.buckets };
  for (const k in b.buckets) buckets[k] = (buckets[k] ?? 0) + b.buckets[k]!;
  return { count: a.count + b.count, buckets };
}

/**
 * The values at quantiles `qs` (e.g. 0.5, 0.95, 0.99), read by the library from a sketch with
 * these buckets.
 * @example
 * ```ts
 * const [p50, p99] = quantiles(addToSketch(emptySketch(), 42), [0.5, 0.99])
 * ```
 */
export function quantiles(s: SketchBuckets, qs: readonly number[]): number[] {
  const sketch = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });
  for (const k in s.buckets) sketch.store.add(Number(k), s.buckets[k]!);
  sketch.count = s.count;
  return qs.map((q) => Math.round(sketch.getValueAtQuantile(q) * 100) / 100);
}
