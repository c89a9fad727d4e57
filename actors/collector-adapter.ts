import { reserveOutput, trimOutput, type BatchOut } from '../src/runtime/operator.ts';
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

  /** Next index to write while space is reserved, else -1 (emit appends). */
  private fill = -1;

  emit(value: T, timestamp: number): void {
    const t = this.target;
    if (this.fill < 0) {
      t.values.push(value);
      if (t.timestamps !== null) t.timestamps.push(timestamp);
      return;
    }
    t.values[this.fill] = value;
    if (t.timestamps !== null) t.timestamps[this.fill] = timestamp;
    this.fill++;
  }

  /**
   * About `n` records follow (a window firing): the target's arrays grow once and records are
   * written by index (growing them record by record costs more). Always pair with `settle`.
   */
  reserve(n: number): void {
    if (this.fill < 0) this.fill = reserveOutput(this.target, n);
  }

  /** Trims the arrays to what was written since `reserve`. */
  settle(): void {
    if (this.fill < 0) return;
    trimOutput(this.target, this.fill);
    this.fill = -1;
  }
}
