import type { BatchOut } from '../src/runtime/operator.ts';
import type { Collector } from '../src/runtime/collector.ts';

/**
 * A {@link Collector} that appends to whichever {@link BatchOut} it currently points at; one per
 * operator, retargeted per batch, so emitting allocates nothing.
 */
export class BatchCollector<T> implements Collector<T> {
  target: BatchOut<T> = { values: [], timestamps: null };

  /** Points the collector at `out` and returns itself. */
  to(out: BatchOut<T>): this {
    this.target = out;
    return this;
  }

  emit(value: T, timestamp: number): void {
    const t = this.target;
    t.values.push(value);
    if (t.timestamps !== null) t.timestamps.push(timestamp);
  }
}
