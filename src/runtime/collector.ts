/**
 * Where an operator puts its output: one call per output record. The runtime's implementation
 * appends to the current output batch (plain arrays), so emitting allocates nothing per record.
 * @example
 * ```ts
 * const double = (values: number[], out: Collector<number>) => { for (const v of values) out.emit(v * 2, NaN) }
 * ```
 */
export interface Collector<T> {
  /** Emits one record with its event timestamp (`NaN` when the stream carries no timestamps). */
  emit(value: T, timestamp: number): void;
}

/**
 * A collector that gathers into arrays; used between chained operators and in tests.
 * @example
 * ```ts
 * const out = new ArrayCollector<number>(); out.emit(1, 10); out.values // [1]
 * ```
 */
export class ArrayCollector<T> implements Collector<T> {
  values: T[] = [];
  timestamps: number[] = [];

  emit(value: T, timestamp: number): void {
    this.values.push(value);
    this.timestamps.push(timestamp);
  }

  /** Hands out what was gathered and starts empty again. */
  drain(): { values: T[]; timestamps: number[] } {
    const batch = { values: this.values, timestamps: this.timestamps };
    this.values = [];
    this.timestamps = [];
    return batch;
  }
}
