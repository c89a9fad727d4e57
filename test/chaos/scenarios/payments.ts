import { SeededRandom, WatermarkStrategy, type StreamEnvironment } from '../../../src/index.ts';
import type { FaultInjector } from '../fault-injector.ts';
import type { Reading } from '../fixtures/inputs.ts';

/** Payments per in-process trial (keyed windows, keyed state). */
export const PAYMENTS = 60_000;

/** Payment `i`: 30 users, out of order by up to 200 ms (within the 250 ms watermark bound, so nothing is late). */
export const payment = (i: number, r: SeededRandom): Reading => ({ key: r.int(30), value: 1 + r.int(100), at: i * 2 + r.int(200) });

/** The first {@link PAYMENTS} payments of `seed`, for a reference. */
export function payments(seed: number): Reading[] {
  const r = new SeededRandom(seed);
  return Array.from({ length: PAYMENTS }, (_, i) => payment(i, r.reset(i)));
}

/** The in-process scenarios' input: seeded payments with event time, through a faulty map and key selector, keyed by user. */
export function keyedPayments(env: StreamEnvironment, seed: number, faults: FaultInjector) {
  return env
    .fromGenerator((i, r) => payment(i, r), { count: PAYMENTS, seed, ratePerSecond: 30_000, name: 'payments' })
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Reading>(250).withTimestampAssigner((p) => p.at))
    .map(faults.wrap('map', (p: Reading) => p))
    .keyBy(faults.wrap('key-selector', (p: Reading) => p.key));
}
