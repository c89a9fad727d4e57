import { SeededRandom, type DataStream, type StreamEnvironment } from '../../src/index.ts';
import { SEED } from '../workloads.ts';
import { ResultDigest, mix } from '../result-digest.ts';
import { pacedTrade } from '../latency/paced-source.ts';
import { addTotals, toTotal, type KeyedTotal } from '../latency/keyed-receiver.ts';

/**
 * The recovery scenario's job: trades from a rate-limited generator (parallelism 1, so every key's
 * records arrive in id order and the output is deterministic) → map → keyBy → running count and
 * sum (parallelism 2) → `after` (the step that fails or marks outputs, chained behind the reduce).
 */
export function recoveryStream(env: StreamEnvironment, count: number, ratePerSecond: number, after: (t: KeyedTotal) => KeyedTotal): DataStream<KeyedTotal> {
  return env
    .fromGenerator((i, r) => pacedTrade(i, r, 0), { count, seed: SEED, ratePerSecond, name: 'trades' })
    .setParallelism(1)
    .map(toTotal)
    .setParallelism(1)
    .keyBy((t) => t.key)
    .reduce(addTotals)
    .map(after);
}

/** Hash of one output row, the same whichever way it was carried (object or JSON line). */
export const hashKeyedTotal = (t: { id: number; key: number; count: number; sum: number }) => mix(mix(mix(mix(0, t.id), t.key), t.count), t.sum);

/** The job's exact output, computed by a plain loop: what every recovery must still produce. */
export function referenceDigest(count: number): string {
  const random = new SeededRandom(SEED);
  const totals = new Map<number, KeyedTotal>();
  const digest = new ResultDigest();
  for (let i = 0; i < count; i++) {
    const t = toTotal(pacedTrade(i, random.reset(i), 0));
    const previous = totals.get(t.key);
    const total = previous === undefined ? t : addTotals(previous, t);
    totals.set(t.key, total);
    digest.add(hashKeyedTotal(total));
  }
  return digest.toString();
}
