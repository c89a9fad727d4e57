import { SeededRandom, TumblingEventTimeWindows, WatermarkStrategy } from '../../../src/index.ts';
import { runEmbedded } from './embedded.ts';
import type { TrialPlan } from '../schedule.ts';
import type { TrialResult } from '../trial.ts';

interface Order { id: number; user: number; at: number }
interface Shipment { id: number; user: number; at: number }

const COUNT = 10_000;
const USERS = 50;
const order = (i: number, r: SeededRandom): Order => ({ id: i, user: r.int(USERS), at: i * 4 + r.int(100) });
const shipment = (i: number, r: SeededRandom): Shipment => ({ id: i, user: r.int(USERS), at: i * 4 + r.int(100) });

/**
 * A window join in this process: seeded orders and shipments from two sources, paired per user
 * within one-second tumbling windows, under exceptions in the map, the key selectors and the join
 * function, failed commits, and slow or stalled sink writes.
 */
export function windowJoin(plan: TrialPlan): Promise<TrialResult> {
  const seed = plan.seed;
  return runEmbedded<string>(plan, {
    build: (env, faults, sink) => {
      const ws = <T extends { at: number }>() => WatermarkStrategy.forBoundedOutOfOrderness<T>(150).withTimestampAssigner((x) => x.at);
      const orders = env
        .fromGenerator((i, r) => order(i, r), { count: COUNT, seed, ratePerSecond: 10_000, name: 'orders' })
        .assignTimestampsAndWatermarks(ws<Order>())
        .map(faults.wrap('map', (o: Order) => o));
      const shipments = env.fromGenerator((i, r) => shipment(i, r), { count: COUNT, seed: seed + 1, ratePerSecond: 10_000, name: 'shipments' }).assignTimestampsAndWatermarks(ws<Shipment>());
      orders
        .join(shipments)
        .where(faults.wrap('key-selector', (o: Order) => o.user))
        .equalTo((s) => s.user)
        .window(TumblingEventTimeWindows.of(1000))
        .apply(faults.wrap('join-function', (o: Order, s: Shipment) => `${o.user}:${o.id}:${s.id}`))
        .sinkTo(sink);
    },
    row: (r) => r,
    reference: () => {
      const groups = new Map<string, { orders: Order[]; shipments: Shipment[] }>();
      const group = (user: number, at: number) => {
        const k = `${user}/${Math.floor(at / 1000)}`;
        if (!groups.has(k)) groups.set(k, { orders: [], shipments: [] });
        return groups.get(k)!;
      };
      const r = new SeededRandom(seed);
      const r2 = new SeededRandom(seed + 1);
      for (let i = 0; i < COUNT; i++) {
        const o = order(i, r.reset(i));
        group(o.user, o.at).orders.push(o);
        const s = shipment(i, r2.reset(i));
        group(s.user, s.at).shipments.push(s);
      }
      const rows: string[] = [];
      for (const g of groups.values()) for (const o of g.orders) for (const s of g.shipments) rows.push(`${o.user}:${o.id}:${s.id}`);
      return rows;
    },
  });
}
