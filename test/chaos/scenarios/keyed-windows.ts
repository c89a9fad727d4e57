import { TumblingEventTimeWindows, type ProcessWindowFunction } from '../../../src/index.ts';
import { windowRows, type Reading, type WindowRow } from '../fixtures/inputs.ts';
import { keyedPayments, payments } from './payments.ts';
import { runEmbedded } from './embedded.ts';
import type { TrialPlan } from '../schedule.ts';
import type { TrialResult } from '../trial.ts';

/**
 * Keyed tumbling windows in this process: seeded payments counted and summed per user per
 * second, under exceptions in the map, key selector, aggregate and window function, failed
 * commits, and slow or stalled sink writes.
 */
export function keyedWindows(plan: TrialPlan): Promise<TrialResult> {
  const seed = plan.seed;
  return runEmbedded<WindowRow>(plan, {
    build: (env, faults, sink) => {
      keyedPayments(env, seed, faults)
        .window(TumblingEventTimeWindows.of(1000))
        .aggregate<[number, number], [number, number], WindowRow>(
          { createAccumulator: () => [0, 0], add: faults.wrap('aggregate', (p: Reading, [n, s]: [number, number]): [number, number] => [n + 1, s + p.value]), getResult: (a) => a, merge: (a, b) => [a[0] + b[0], a[1] + b[1]] },
          faults.wrap('window-function', ((user, [[n, s]], ctx, out) => out.emit([user, ctx.window.start, n!, s!], ctx.window.end - 1)) as ProcessWindowFunction<[number, number], WindowRow, number>),
        )
        .sinkTo(sink);
    },
    row: (r) => JSON.stringify(r),
    reference: () => windowRows(payments(seed)),
  });
}
