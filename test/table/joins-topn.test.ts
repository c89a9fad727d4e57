import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamEnvironment, TableEnvironment, CollectSink, SeededRandom, materialize, type Change } from '../../src/index.ts';

interface Order { id: number; customer: number; amount: number; ts: number }
interface Payment { order: number; paid: number; ts: number }
interface Customer { cid: number; tier: string; ts: number }
const r = new SeededRandom(77);
const orders: Order[] = Array.from({ length: 2000 }, (_, i) => ({ id: i, customer: r.int(50), amount: 1 + r.int(200), ts: i * 10 + r.int(300) }));
const payments: Payment[] = orders.filter(() => r.int(3) > 0).map((o) => ({ order: o.id, paid: o.amount, ts: o.ts - 500 + r.int(4000) }));
const customers: Customer[] = Array.from({ length: 50 }, (_, i) => ({ cid: i, tier: ['gold', 'silver', 'bronze'][r.int(3)]!, ts: 0 }));

function tables(parallelism = 2) {
  const env = StreamEnvironment.create({ parallelism });
  const tEnv = TableEnvironment.create(env);
  const wm = { watermarkDelayMs: 500 };
  tEnv.createTemporaryView('orders', env.fromCollection(orders), { schema: { id: 'BIGINT', customer: 'BIGINT', amount: 'BIGINT', ts: 'TIMESTAMP(3)' }, rowtime: 'ts', ...wm });
  tEnv.createTemporaryView('payments', env.fromCollection(payments), { schema: { order: 'BIGINT', paid: 'BIGINT', ts: 'TIMESTAMP(3)' }, rowtime: 'ts', watermarkDelayMs: 4000 });
  tEnv.createTemporaryView('customers', env.fromCollection(customers), { schema: { cid: 'BIGINT', tier: 'STRING', ts: 'TIMESTAMP(3)' } });
  return { env, tEnv };
}

async function rows(sql: string): Promise<string[]> {
  const { env, tEnv } = tables();
  const sink = new CollectSink<Record<string, unknown>>();
  tEnv.toDataStream(tEnv.sqlQuery(sql)).sinkTo(sink);
  await env.execute();
  return sink.values.map((v) => JSON.stringify(v)).sort();
}
const text = (xs: object[]) => xs.map((v) => JSON.stringify(v)).sort();

test('a regular inner join with a filter pushed to one side and a residual condition equals a nested-loop reference', async () => {
  const got = await rows(`SELECT o.id AS id, c.tier AS tier, o.amount AS amount FROM orders o JOIN customers c ON o.customer = c.cid WHERE c.tier <> 'bronze' AND o.amount > 20 + c.cid`);
  const expected = orders.flatMap((o) => customers.filter((c) => o.customer === c.cid && c.tier !== 'bronze' && o.amount > 20 + c.cid).map((c) => ({ id: o.id, tier: c.tier, amount: o.amount })));
  assert.ok(expected.length > 200);
  assert.equal(got, text(expected));
});

test('an interval join (BETWEEN on the two time attributes) runs on the interval-join operator and equals the reference', async () => {
  const sql = `SELECT o.id AS id, p.paid AS paid FROM orders o, payments p WHERE o.id = p.order AND p.ts BETWEEN o.ts - INTERVAL '0.2' SECOND AND o.ts + INTERVAL '2' SECOND`;
  const got = await rows(sql);
  const expected = orders.flatMap((o) => payments.filter((p) => p.order === o.id && p.ts >= o.ts - 200 && p.ts <= o.ts + 2000).map((p) => ({ id: o.id, paid: p.paid })));
  assert.ok(expected.length > 300 && expected.length < payments.length, 'the bounds cut some payments');
  assert.equal(got, text(expected));
  const plan = tables().tEnv.executeSql(`EXPLAIN ${sql}`).message;
  assert.match(plan, /interval-join\[-200, 2000\]ms/);
});

test('window Top-N: ROW_NUMBER() per window and customer tier, rn <= 3, over a TUMBLE TVF equals the reference', async () => {
  const got = await rows(`SELECT window_start, customer, id, amount, rn FROM (
      SELECT window_start, customer, id, amount, ROW_NUMBER() OVER (PARTITION BY window_start, window_end, customer ORDER BY amount DESC, id ASC) AS rn
      FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '5' SECOND))) WHERE rn <= 3`);
  const groups = new Map<string, Order[]>();
  for (const o of orders) {
    const k = `${o.ts - (o.ts % 5000)}|${o.customer}`;
    groups.set(k, [...(groups.get(k) ?? []), o]);
  }
  const expected = [...groups].flatMap(([k, os]) =>
    os.sort((a, b) => b.amount - a.amount || a.id - b.id).slice(0, 3).map((o, i) => ({ window_start: Number(k.split('|')[0]), customer: o.customer, id: o.id, amount: o.amount, rn: i + 1 })),
  );
  assert.equal(got, text(expected));
});

test('Top-N over a window aggregation (the top 2 customers by order count per window; RANK keeps the ties)', async () => {
  const got = await rows(`SELECT customer, spend, window_end FROM (
      SELECT customer, spend, window_end, RANK() OVER (PARTITION BY window_end ORDER BY spend DESC) AS rk FROM (
        SELECT customer, COUNT(*) AS spend, window_start, window_end FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '4' SECOND)) GROUP BY customer, window_start, window_end))
    WHERE rk <= 2`);
  const spend = new Map<number, Map<number, number>>();
  for (const o of orders) {
    const end = o.ts - (o.ts % 4000) + 4000;
    const m = spend.get(end) ?? new Map<number, number>();
    m.set(o.customer, (m.get(o.customer) ?? 0) + 1);
    spend.set(end, m);
  }
  const expected = [...spend].flatMap(([end, m]) => {
    const sorted = [...m].sort((a, b) => b[1] - a[1]);
    return sorted.filter(([, s]) => sorted.filter(([, t]) => t > s).length < 2).map(([customer, s]) => ({ customer, spend: s, window_end: end }));
  });
  assert.ok(expected.length > 2 * spend.size, 'ties: more than two rows in some windows');
  assert.equal(got, text(expected));
});

test('unbounded Top-N: the 3 biggest orders per customer as a changelog; folded by (customer, rn) it equals the reference', async () => {
  const { env, tEnv } = tables();
  const table = tEnv.sqlQuery(`SELECT customer, id, amount, rn FROM (
      SELECT customer, id, amount, ROW_NUMBER() OVER (PARTITION BY customer ORDER BY amount DESC, id ASC) AS rn FROM orders) WHERE rn <= 3`);
  assert.ok(table.changelog);
  const sink = new CollectSink<Change<{ customer: number; id: number; amount: number; rn: number }>>();
  tEnv.toChangelogStream<{ customer: number; id: number; amount: number; rn: number }>(table).sinkTo(sink);
  await env.execute();
  assert.ok(sink.values.some((c) => c.kind === '-U'), 'ranks change as orders arrive');
  const final = [...materialize(sink.values, (r) => `${r.customer}|${r.rn}`).values()];
  const expected = [...new Set(orders.map((o) => o.customer))].flatMap((c) =>
    orders.filter((o) => o.customer === c).sort((a, b) => b.amount - a.amount || a.id - b.id).slice(0, 3).map((o, i) => ({ customer: c, id: o.id, amount: o.amount, rn: i + 1 })),
  );
  assert.equal(text(final), text(expected));
});

test('a temporal join (FOR SYSTEM_TIME AS OF) meets each order with the rate valid at its time', async () => {
  interface Rate { currency: string; rate: number; ts: number }
  const rr = new SeededRandom(3);
  const rates: Rate[] = Array.from({ length: 300 }, (_, i) => ({ currency: ['EUR', 'GBP', 'JPY'][rr.int(3)]!, rate: 1 + rr.int(1000) / 100, ts: i * 70 + rr.int(60) }));
  const buys = orders.map((o) => ({ id: o.id, currency: ['EUR', 'GBP', 'JPY', 'CHF'][o.customer % 4]!, amount: o.amount, ts: o.ts }));
  const env = StreamEnvironment.create({ parallelism: 2 });
  const tEnv = TableEnvironment.create(env);
  tEnv.createTemporaryView('buys', env.fromCollection(buys), { schema: { id: 'BIGINT', currency: 'STRING', amount: 'BIGINT', ts: 'TIMESTAMP(3)' }, rowtime: 'ts', watermarkDelayMs: 300 });
  tEnv.createTemporaryView('rates', env.fromCollection(rates), { schema: { currency: 'STRING', rate: 'DOUBLE', ts: 'TIMESTAMP(3)' }, rowtime: 'ts', watermarkDelayMs: 200, primaryKey: ['currency'] });
  const sink = new CollectSink<Record<string, unknown>>();
  tEnv.toDataStream(tEnv.sqlQuery(`SELECT b.id AS id, b.amount * r.rate AS value FROM buys AS b JOIN rates FOR SYSTEM_TIME AS OF b.ts AS r ON b.currency = r.currency`)).sinkTo(sink);
  await env.execute();
  const expected = buys.flatMap((b) => {
    const valid = rates.filter((x) => x.currency === b.currency && x.ts <= b.ts).sort((x, y) => x.ts - y.ts).pop();
    return valid ? [{ id: b.id, value: b.amount * valid.rate }] : [];
  });
  assert.ok(expected.length > 1000 && expected.length < buys.length, 'CHF has no rates; early orders have none yet');
  assert.equal(sink.values.map((v) => JSON.stringify(v)).sort(), text(expected));
});

test('EXPLAIN shows the chains, the hash exchanges into the join and the window operators', () => {
  const { tEnv } = tables();
  const plan = tEnv.executeSql(`EXPLAIN SELECT c.tier AS tier, COUNT(*) AS n FROM orders o JOIN customers c ON o.customer = c.cid GROUP BY c.tier`).message;
  assert.match(plan, /changelog \(\+I\/-U\/\+U\/-D\): tier STRING, n BIGINT; upsert key \(tier\)/);
  assert.match(plan, /\[0\] --hash\(key\)--> \[2\]\n  \[1\] --hash\(key\) \(input 2\)--> \[2\]\n\[2\] sql-\d+:join  \(parallelism 2\)/);
  assert.match(plan, /sql-\d+:group-aggregate/);
  const windowPlan = tEnv.executeSql(`EXPLAIN SELECT window_end, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '5' SECOND)) GROUP BY window_start, window_end`).message;
  assert.match(windowPlan, /\[0\] collection -> rowtime  \(parallelism 2, one chained actor\)\n  \[0\] --hash\(key\)--> \[1\]\n\[1\] sql-\d+:TUMBLE\(size=5000ms\)/);
});

test.run();
