import * as hdr from 'hdr-histogram-js';
import { ResultDigest, mix } from '../result-digest.ts';
import { wallNow } from '../nats/stamped-trade.ts';
import type { PacedTrade } from './paced-source.ts';

/** What the latency pipeline emits per record: the key's running count and price sum so far. */
export interface KeyedTotal {
  id: number;
  key: number;
  count: number;
  sum: number;
  sentAt: number;
}

/** The map step of the pipeline (every system runs it): a record becomes its key's one-record total. */
export const toTotal = (t: PacedTrade): KeyedTotal => ({ id: t.id, key: t.key, count: 1, sum: t.price, sentAt: t.sentAt });

/** The aggregate step: running count and sum per key; the output carries the newer record's id and stamp. */
export const addTotals = (a: KeyedTotal, b: KeyedTotal): KeyedTotal => ({ id: b.id, key: a.key, count: a.count + b.count, sum: a.sum + b.sum, sentAt: b.sentAt });

const hashTotal = (t: KeyedTotal) => mix(mix(mix(mix(0, t.id), t.key), t.count), t.sum);

/** What a receiver reports (one JSON line over processes). */
export interface ReceiverFigures {
  count: number;
  result: string;
  /** Wall times of the first and the last output. */
  firstAt: number;
  lastAt: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  latencySamples: number;
}

/**
 * The sink side of every system: digests the outputs and records each stamped output's latency
 * (now − intended send time) in an HDR histogram, one clock read per batch. Outputs of the first
 * `warmupIds` records are not recorded (JIT warm-up, first credits).
 */
export class KeyedReceiver {
  count = 0;
  firstAt = 0;
  lastAt = 0;
  private readonly digest = new ResultDigest();
  private readonly histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });

  constructor(private readonly warmupIds: number) {}

  receive(values: KeyedTotal[]): void {
    const now = wallNow();
    if (this.count === 0) this.firstAt = now;
    this.lastAt = now;
    this.count += values.length;
    for (let k = 0; k < values.length; k++) {
      const t = values[k]!;
      this.digest.add(hashTotal(t));
      if (t.sentAt !== 0 && t.id >= this.warmupIds) this.histogram.recordValue(Math.max(1, Math.round((now - t.sentAt) * 1000)));
    }
  }

  report(): ReceiverFigures {
    const h = this.histogram;
    const n = h.totalCount;
    const at = (p: number) => (n ? h.getValueAtPercentile(p) : 0);
    return { count: this.count, result: this.digest.toString(), firstAt: this.firstAt, lastAt: this.lastAt, p50Us: at(50), p99Us: at(99), p999Us: at(99.9), maxUs: n ? h.maxValue : 0, latencySamples: n };
  }
}
