import { SeededRandom, TumblingEventTimeWindows, WatermarkStrategy, type ProcessWindowFunction } from '../../../src/index.ts';
import { runEmbedded } from './embedded.ts';
import type { TrialPlan } from '../schedule.ts';
import type { TrialResult } from '../trial.ts';

interface Payment { user: number; amount: number; at: number }
/** [user, window start, count, sum] */
type Row = [number, number, number, number];

const COUNT = 60_000;
const USERS = 30;
const payment = (i: number, r: SeededRandom): Payment => ({ user: r.int(USERS), amount: 1 + r.int(100), at: i * 2 + r.int(200) });

/**
 * Keyed tumbling windows in this process: seeded payments (out of order by up to 200 ms, within
 * the 250 ms watermark bound) counted and summed per user per second, under exceptions in the map,
 * key selector, aggregate and window function, failed commits, and slow or stalled sink writes.
 */
export function keyedWindows(plan: TrialPlan): Promise<TrialResult> {
  const seed = plan.seed;
  return runEmbedded<Row>(plan, {
    build: (env, faults, sink) => {
      env
        .fromGenerator((i, r) => payment(i, r), { count: COUNT, seed, ratePerSecond: 30_000, name: 'payments' })
        .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Payment>(250).withTimestampAssigner((p) => p.at))
        .map(faults.wrap('map', (p: Payment) => p))
        .keyBy(faults.wrap('key-selector', (p: Payment) => p.user))
        .window(TumblingEventTimeWindows.of(1000))
        .aggregate<[number, number], [number, number], Row>(
          { createAccumulator: () => [0, 0], add: faults.wrap('aggregate', (p: Payment, [n, s]: [number, number]): [number, number] => [n + 1, s + p.amount]), getResult: (a) => a, merge: (a, b) => [a[0] + b[0], a[1] + b[1]] },
          faults.wrap('window-function', ((user, [[n, s]], ctx, out) => out.emit([user, ctx.window.start, n!, s!], ctx.window.end - 1)) as ProcessWindowFunction<[number, number], Row, number>),
        )
        .sinkTo(sink);
    },
    row: (r) => JSON.stringify(r),
    reference: () => {
      const acc = new Map<string, Row>();
      const r = new SeededRandom(seed);
      for (let i = 0; i < COUNT; i++) {
        const p = payment(i, r.reset(i));
        const w = Math.floor(p.at / 1000) * 1000;
        const k = `${p.user}/${w}`;
        const row = acc.get(k) ?? [p.user, w, 0, 0];
        row[2]++;
        row[3] += p.amount;
        acc.set(k, row);
      }
      return [...acc.values()].map((row) => JSON.stringify(row));
    },
  });
}
