import * as hdr from 'hdr-histogram-js';
import { SeededRandom } from '../../src/index.ts';
import { SEED } from '../workloads.ts';
import { ResultDigest, mix } from '../result-digest.ts';

/**
 * What the `nats-map` scenario sends from one process to the other: the core scenarios' trade plus
 * the wall time it was generated at (0 in throughput runs, so no clock is read per record there).
 * Weir and the raw nats.js baseline generate, map and check exactly the same records.
 */
export interface StampedTrade {
  id: number;
  key: number;
  price: number;
  sentAt: number;
}

/** Wall time in milliseconds with sub-millisecond precision, comparable across processes on one machine. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/** Record `i`, drawn from `r` reset for (SEED, i) as the generator source does. */
export function stampedTrade(i: number, r: SeededRandom, stamp: boolean): StampedTrade {
  return { id: i, key: r.int(10_000), price: r.int(10_000), sentAt: stamp ? wallNow() : 0 };
}

/** A fresh random generator for {@link stampedTrade} (the generator source's seed). */
export const tradeRandom = (): SeededRandom => new SeededRandom(SEED);

/** The map both systems run on the receiving process. */
export const discountStamped = (t: StampedTrade): StampedTrade => ({ id: t.id, key: t.key, price: t.price * 0.9, sentAt: t.sentAt });

/** CPU seconds (user + system, all threads) this process has used, start-up included. */
export const cpuSeconds = (): number => {
  const { user, system } = process.cpuUsage();
  return Math.round((user + system) / 1e4) / 100;
};

/** What the receiving process reports as the last line of its output. */
export interface ReceiverReport {
  count: number;
  /** Sum of ids: with `count` it shows nothing was lost or duplicated (ids are 0…n−1). */
  idSum: number;
  /** Digest of the (id, mapped price) pairs received, compared between the systems. */
  result: string;
  /** Wall times of the first and the last record received. */
  firstAt: number;
  lastAt: number;
  /** End-to-end latency of stamped records (generation to receipt after the map), microseconds. */
  p50Us: number;
  p99Us: number;
  maxUs: number;
  latencySamples: number;
}

/**
 * Counts and checks received records and records their latency, batch by batch: one clock read
 * per batch, one histogram entry per stamped record past the warm-up (the first `warmup` ids).
 */
export class Receiver {
  count = 0;
  idSum = 0;
  firstAt = 0;
  lastAt = 0;
  private readonly digest = new ResultDigest();
  private readonly histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });

  constructor(private readonly warmup: number) {}

  receive(values: StampedTrade[]): void {
    const now = wallNow();
    if (this.count === 0) this.firstAt = now;
    this.lastAt = now;
    this.count += values.length;
    for (let k = 0; k < values.length; k++) {
      const t = values[k]!;
      this.idSum += t.id;
      this.digest.add(mix(mix(0, t.id), t.price));
      if (t.sentAt !== 0 && t.id >= this.warmup) this.histogram.recordValue(Math.max(1, Math.round((now - t.sentAt) * 1000)));
    }
  }

  report(): ReceiverReport {
    const h = this.histogram;
    const samples = h.totalCount;
    return { count: this.count, idSum: this.idSum, result: this.digest.toString(), firstAt: this.firstAt, lastAt: this.lastAt, p50Us: samples ? h.getValueAtPercentile(50) : 0, p99Us: samples ? h.getValueAtPercentile(99) : 0, maxUs: samples ? h.maxValue : 0, latencySamples: samples };
  }
}
