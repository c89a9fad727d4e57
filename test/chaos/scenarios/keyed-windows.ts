import { SeededRandom, TumblingEventTimeWindows, WatermarkStrategy, type ProcessWindowFunction } from '../../../src/index.ts';
import { windowRows, type Reading, type WindowRow } from '../fixtures/inputs.ts';
import { runEmbedded } from './embedded.ts';
import type { TrialPlan } from '../schedule.ts';
import type { TrialResult } from '../trial.ts';

const COUNT = 60_000;
/** Payment `i`: 30 users, out of order by up to 200 ms (within the 250 ms watermark bound). */
const payment = (i: number, r: SeededRandom): Reading => ({ key: r.int(30), value: 1 + r.int(100), at: i * 2 + r.int(200) });

/**
 * Keyed tumbling windows in this process: seeded payments counted and summed per user per
 * second, under exceptions in the map, key selector, aggregate and window function, failed
 * commits, and slow or stalled sink writes.
 */
export function keyedWindows(plan: TrialPlan): Promise<TrialResult> {
  const seed = plan.seed;
  return runEmbedded<WindowRow>(plan, {
    build: (env, faults, sink) => {
      env
        .fromGenerator((i, r) => payment(i, r), { count: COUNT, seed, ratePerSecond: 30_000, name: 'payments' })
        .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Reading>(250).withTimestampAssigner((p) => p.at))
        .map(faults.wrap('map', (p: Reading) => p))
        .keyBy(faults.wrap('key-selector', (p: Reading) => p.key))
        .window(TumblingEventTimeWindows.of(1000))
        .aggregate<[number, number], [number, number], WindowRow>(
          { createAccumulator: () => [0, 0], add: faults.wrap('aggregate', (p: Reading, [n, s]: [number, number]): [number, number] => [n + 1, s + p.value]), getResult: (a) => a, merge: (a, b) => [a[0] + b[0], a[1] + b[1]] },
          faults.wrap('window-function', ((user, [[n, s]], ctx, out) => out.emit([user, ctx.window.start, n!, s!], ctx.window.end - 1)) as ProcessWindowFunction<[number, number], WindowRow, number>),
        )
        .sinkTo(sink);
    },
    row: (r) => JSON.stringify(r),
    reference: () => {
      const r = new SeededRandom(seed);
      return windowRows(Array.from({ length: COUNT }, (_, i) => payment(i, r.reset(i))));
    },
  });
}
