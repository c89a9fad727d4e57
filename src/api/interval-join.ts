import type { KeyedStream } from './keyed-stream.ts';
import type { DataStream } from './data-stream.ts';
import type { ProcessCollector } from './process-function.ts';
import { intervalJoinFunction } from '../../actors/join/interval-join.ts';
import { InvalidJobError } from '../errors.ts';

/**
 * An interval join in the making (Flink's `KeyedStream.intervalJoin`): pairs a left record at time
 * `t` with every right record of the same key at a time in `[t + lowerMs, t + upperMs]`.
 * @example
 * ```ts
 * orders.keyBy((o) => o.id).intervalJoin(payments.keyBy((p) => p.orderId)).between(0, 60_000).process((o, p, ctx, out) => out.collect({ o, p }))
 * ```
 */
export class IntervalJoin<L, R, K> {
  constructor(
    private readonly left: KeyedStream<L, K>,
    private readonly right: KeyedStream<R, K>,
  ) {}

  /** The bounds, in ms relative to the left record's time (both inclusive unless excluded). */
  between(lowerMs: number, upperMs: number): IntervalJoined<L, R, K> {
    if (!Number.isFinite(lowerMs) || !Number.isFinite(upperMs) || lowerMs > upperMs) throw new InvalidJobError(`intervalJoin.between: need finite bounds with lower <= upper, got [${lowerMs}, ${upperMs}]`);
    return new IntervalJoined<L, R, K>(this.left, this.right, lowerMs, upperMs);
  }
}

/** A configured interval join; `process` builds it. */
export class IntervalJoined<L, R, K> {
  private lowerInclusive = true;
  private upperInclusive = true;

  constructor(
    private readonly left: KeyedStream<L, K>,
    private readonly right: KeyedStream<R, K>,
    private readonly lowerMs: number,
    private readonly upperMs: number,
  ) {}

  /** Excludes the lower bound. */
  lowerBoundExclusive(): this {
    this.lowerInclusive = false;
    return this;
  }

  /** Excludes the upper bound. */
  upperBoundExclusive(): this {
    this.upperInclusive = false;
    return this;
  }

  /** Runs `fn` for each pair; `out.collect` stamps the output with the later of both timestamps. */
  process<O>(fn: (left: L, right: R, ctx: { leftTimestamp: number; rightTimestamp: number; timestamp: number }, out: ProcessCollector<O>) => void, name = 'interval-join'): DataStream<O> {
    const joinFn = intervalJoinFunction<K, L, R, O>({ lowerMs: this.lowerMs, upperMs: this.upperMs, lowerInclusive: this.lowerInclusive, upperInclusive: this.upperInclusive, fn });
    return this.left.connect(this.right).process<O>(joinFn, name);
  }
}
