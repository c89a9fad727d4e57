/** Extracts a record's event time (ms); `previous` is the timestamp the record carried, or NaN. */
export type TimestampAssigner<T> = (record: T, previous: number) => number;

/**
 * A custom watermark generator (Flink's WatermarkGenerator): sees every record's timestamp and
 * says, once per batch, how far event time has progressed. Keep its state small and plain: it is
 * snapshotted with the operator.
 * @example
 * ```ts
 * // Watermarks only from records that carry an explicit marker.
 * const markers = (): WatermarkGenerator<Ev> => { let wm = -Infinity; return { onEvent: (e, ts) => { if (e.marker) wm = Math.max(wm, ts) }, currentWatermark: () => wm, snapshot: () => wm, restore: (s) => { wm = s as number } } }
 * WatermarkStrategy.forGenerator(markers).withTimestampAssigner((e) => e.at)
 * ```
 */
export interface WatermarkGenerator<T> {
  onEvent(record: T, timestamp: number): void;
  /** The watermark now (-Infinity for none yet). */
  currentWatermark(): number;
  snapshot?(): unknown;
  restore?(state: unknown): void;
}

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

  /** A custom generator factory (one generator per subtask), instead of bounded out-of-orderness. */
  readonly generator: (() => WatermarkGenerator<T>) | undefined;

  private constructor(maxOutOfOrdernessMs: number, assigner?: TimestampAssigner<T>, idlenessMs?: number, generator?: () => WatermarkGenerator<T>) {
    if (!(maxOutOfOrdernessMs >= 0)) throw new RangeError(`out-of-orderness must be >= 0 ms, got ${maxOutOfOrdernessMs}`);
    if (idlenessMs !== undefined && !(idlenessMs > 0)) throw new RangeError(`idleness must be > 0 ms, got ${idlenessMs}`);
    this.maxOutOfOrdernessMs = maxOutOfOrdernessMs;
    this.assigner = assigner;
    this.idlenessMs = idlenessMs;
    this.generator = generator;
  }

  /** Watermarks from a custom generator. */
  static forGenerator<T>(create: () => WatermarkGenerator<T>): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(0, undefined, undefined, create);
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
    return new WatermarkStrategy<T>(this.maxOutOfOrdernessMs, assigner, this.idlenessMs, this.generator);
  }

  /**
   * Marks the input idle after `ms` (processing time) without records, so it stops holding back
   * the watermark of operators that read it together with other inputs. Applies where the
   * strategy is chained to its source (as in Flink, where idleness is a source property).
   */
  withIdleness(ms: number): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(this.maxOutOfOrdernessMs, this.assigner, ms, this.generator);
  }
}
