import type { KeyedCoProcessFunction, KeyedProcessContext, OnTimerContext, ProcessCollector } from '../../src/api/process-function.ts';
import { MapStateDescriptor } from '../../src/state/state-descriptor.ts';
import { BadRecordError } from '../../src/errors.ts';

/** What an interval join needs to know. */
export interface IntervalJoinSpec<L, R, O> {
  lowerMs: number;
  upperMs: number;
  lowerInclusive: boolean;
  upperInclusive: boolean;
  fn: (left: L, right: R, ctx: { leftTimestamp: number; rightTimestamp: number; timestamp: number }, out: ProcessCollector<O>) => void;
}

const LEFT = new MapStateDescriptor<number, unknown[]>('interval-join:left');
const RIGHT = new MapStateDescriptor<number, unknown[]>('interval-join:right');

/**
 * The interval join as a keyed co-process function (Flink's IntervalJoinOperator): each side is
 * buffered per key by timestamp; a left record at `t` pairs with right records in
 * `[t + lower, t + upper]`, and vice versa. Buffers are dropped by event-time timers once the
 * watermark guarantees no partner can arrive. Records behind the watermark on arrival go to dead
 * letters (Flink drops them silently).
 */
export function intervalJoinFunction<K, L, R, O>(spec: IntervalJoinSpec<L, R, O>): KeyedCoProcessFunction<K, L, R, O> {
  const { lowerMs, upperMs } = spec;
  const lo = spec.lowerInclusive ? lowerMs : lowerMs + 1;
  const hi = spec.upperInclusive ? upperMs : upperMs - 1;
  const pairCtx = { leftTimestamp: 0, rightTimestamp: 0, timestamp: 0 };

  function buffer(ctx: KeyedProcessContext<K>, own: MapStateDescriptor<number, unknown[]>, value: unknown, ts: number, cleanupAt: number): void {
    const state = ctx.getMapState(own);
    const bucket = state.get(ts);
    // Written back even when appended in place: a write is what marks the key changed for delta snapshots.
    if (bucket) bucket.push(value);
    state.put(ts, bucket ?? [value]);
    ctx.timerService().registerEventTimeTimer(cleanupAt);
  }

  function arrive(ctx: KeyedProcessContext<K>, side: 0 | 1, value: unknown, out: ProcessCollector<O>): void {
    const ts = ctx.timestamp;
    if (ts === undefined || !Number.isFinite(ts)) throw new BadRecordError('an interval join needs event timestamps; call assignTimestampsAndWatermarks(...) first', {});
    if (ts <= ctx.timerService().currentWatermark()) {
      throw new BadRecordError(`record at ${ts} arrived behind the watermark ${ctx.timerService().currentWatermark()}; an interval join cannot pair it reliably`, {});
    }
    // Partners of a left record at ts lie in [ts + lo, ts + hi]; of a right record at ts in [ts - hi, ts - lo].
    const [from, to] = side === 0 ? [ts + lo, ts + hi] : [ts - hi, ts - lo];
    for (const [otherTs, bucket] of ctx.getMapState(side === 0 ? RIGHT : LEFT).entries()) {
      if (otherTs < from || otherTs > to) continue;
      for (const other of bucket) {
        const [l, r, lt, rt] = side === 0 ? [value, other, ts, otherTs] : [other, value, otherTs, ts];
        pairCtx.leftTimestamp = lt;
        pairCtx.rightTimestamp = rt;
        pairCtx.timestamp = Math.max(lt, rt);
        spec.fn(l as L, r as R, pairCtx, stamped(out, pairCtx.timestamp));
      }
    }
    if (side === 0) buffer(ctx, LEFT, value, ts, ts + Math.max(0, hi));
    else buffer(ctx, RIGHT, value, ts, ts - Math.min(0, lo));
  }

  return {
    processElement1(value, ctx, out) {
      arrive(ctx, 0, value, out);
    },
    processElement2(value, ctx, out) {
      arrive(ctx, 1, value, out);
    },
    onTimer(t: number, ctx: OnTimerContext<K>) {
      // The timer at t is the cleanup time of left records at t - max(0, hi) and of right records at t + min(0, lo).
      ctx.getMapState(LEFT).remove(t - Math.max(0, hi));
      ctx.getMapState(RIGHT).remove(t + Math.min(0, lo));
    },
  };
}

/** A collector whose `collect` uses the pair's timestamp (max of both sides, as Flink). */
function stamped<O>(out: ProcessCollector<O>, ts: number): ProcessCollector<O> {
  const s = stampedCache.get(out) ?? { out, ts: 0, collect(v: O) { this.out.emit(v, this.ts); }, emit(v: O, t: number) { this.out.emit(v, t); } };
  stampedCache.set(out, s);
  s.ts = ts;
  return s as unknown as ProcessCollector<O>;
}
const stampedCache = new WeakMap<object, { out: any; ts: number; collect(v: any): void; emit(v: any, t: number): void }>();
