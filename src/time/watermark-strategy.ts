/** Extracts a record's event time (ms); `previous` is the timestamp the record carried, or NaN. */
export type TimestampAssigner<T> = (record: T, previous: number) => number;

/**
 * How a stream gets event timestamps and watermarks (Flink's WatermarkStrategy). Immutable:
 * each `with…` returns a new strategy.
 * @example
 * ```ts
 * WatermarkStrategy.forBoundedOutOfOrderness<Click>(5_000).withTimestampAssigner((c) => c.at)
 * ```
 */
export class WatermarkStrategy<T> {
  /** How late a record may arrive relative to the highest timestamp seen (ms). */
  readonly maxOutOfOrdernessMs: number;
  readonly assigner: TimestampAssigner<T> | undefined;
  /** After this long without records the input is marked idle and no longer holds back watermarks. */
  readonly idlenessMs: number | undefined;

  private constructor(maxOutOfOrdernessMs: number, assigner?: TimestampAssigner<T>, idlenessMs?: number) {
    if (!(maxOutOfOrdernessMs >= 0)) throw new RangeError(`out-of-orderness must be >= 0 ms, got ${maxOutOfOrdernessMs}`);
    this.maxOutOfOrdernessMs = maxOutOfOrdernessMs;
    this.assigner = assigner;
    this.idlenessMs = idlenessMs;
  }

  /** Watermark = highest timestamp seen − `maxDelayMs` − 1. */
  static forBoundedOutOfOrderness<T>(maxDelayMs: number): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(maxDelayMs);
  }

  /** Timestamps never go backwards: watermark = highest timestamp seen − 1. */
  static forMonotonousTimestamps<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(0);
  }

  /** Uses `assigner` for event time. */
  withTimestampAssigner(assigner: TimestampAssigner<T>): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(this.maxOutOfOrdernessMs, assigner, this.idlenessMs);
  }

  /** Marks the input idle after `ms` without records. */
  withIdleness(ms: number): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(this.maxOutOfOrdernessMs, this.assigner, ms);
  }
}
