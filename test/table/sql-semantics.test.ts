import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamEnvironment, TableEnvironment, CollectSink, SeededRandom, materialize, type Change } from '../../src/index.ts';

/**
 * What a Flink SQL user expects beyond the Nexmark queries: outer joins with retractions, MIN/MAX
 * over an updating input, GROUP BY on expressions, and SQL's NULL semantics. Each result is checked
 * against a plain-TypeScript reference over seeded input.
 */

interface Order {
  id: number;
  cust: number;
  amount: number | null;
}
interface Customer {
  cid: number;
  name: string;
}
const random = new SeededRandom(21);
const orders: Order[] = Array.from({ length: 400 }, (_x, i) => ({ id: i, cust: random.int(60), amount: random.int(10) === 0 ? null : 1 + random.int(100) }));
// Customers 0…49 exist (orders of 50…59 find none); 45…49 have no orders; each arrives once.
const customers: Customer[] = Array.from({ length: 50 }, (_x, i) => ({ cid: i, name: `c${i}` })).sort(() => random.next() - 0.5);

function tableEnv(parallelism = 2) {
  const env = StreamEnvironment.create({ parallelism });
  const tEnv = TableEnvironment.create(env);
  tEnv.createTemporaryView('orders', env.fromCollection(orders), { schema: { id: 'BIGINT', cust: 'BIGINT', amount: 'BIGINT' } });
  tEnv.createTemporaryView('customers', env.fromCollection(customers), { schema: { cid: 'BIGINT', name: 'STRING' } });
  return { env, tEnv };
}

/** A changelog without a key folded into the multiset of its rows (as sorted JSON lines). */
function fold(changes: Change<unknown>[]): string[] {
  const rows = new Map<string, number>();
  for (const c of changes) {
    const key = JSON.stringify(c.row);
    const n = (rows.get(key) ?? 0) + (c.kind === '+I' || c.kind === '+U' ? 1 : -1);
    assert.ok(n >= 0, `a retraction of a row not there: ${c.kind} ${key}`);
    if (n === 0) rows.delete(key);
    else rows.set(key, n);
  }
  return [...rows].flatMap(([k, n]) => Array.from({ length: n }, () => k)).sort();
}

function joinReference(kind: 'LEFT' | 'RIGHT' | 'FULL'): string[] {
  const out: string[] = [];
  const matched = new Set<number>();
  for (const o of orders) {
    const c = customers.find((x) => x.cid === o.cust);
    if (c) {
      matched.add(c.cid);
      out.push(JSON.stringify({ id: o.id, cid: c.cid, name: c.name }));
    } else if (kind !== 'RIGHT') out.push(JSON.stringify({ id: o.id, cid: null, name: null }));
  }
  if (kind !== 'LEFT') for (const c of customers) if (!matched.has(c.cid)) out.push(JSON.stringify({ id: null, cid: c.cid, name: c.name }));
  return out.sort();
}

test('LEFT, RIGHT and FULL OUTER JOIN: NULL-padded rows, retracted (-D) when their first match arrives; folded, they equal the reference', async () => {
  const { env, tEnv } = tableEnv();
  const sinks = new Map<string, CollectSink<Change<unknown>>>();
  for (const kind of ['LEFT', 'RIGHT', 'FULL'] as const) {
    const table = tEnv.sqlQuery(`SELECT o.id AS id, c.cid AS cid, c.name AS name FROM orders o ${kind === 'FULL' ? 'FULL OUTER' : kind} JOIN customers c ON o.cust = c.cid`);
    assert.ok(table.changelog, 'an outer join updates its rows');
    const sink = new CollectSink<Change<unknown>>();
    tEnv.toChangelogStream(table).sinkTo(sink);
    sinks.set(kind, sink);
  }
  await env.execute();
  for (const kind of ['LEFT', 'RIGHT', 'FULL'] as const) assert.equal(fold(sinks.get(kind)!.values), joinReference(kind), kind);
  // In a FULL join the first row of each matched key arrives alone: it is padded, then retracted.
  const matchedKeys = new Set(orders.map((o) => o.cust).filter((c) => c < 50)).size;
  const deletes = sinks.get('FULL')!.values.filter((c) => c.kind === '-D');
  assert.ok(deletes.length >= matchedKeys, `${deletes.length} retractions for ${matchedKeys} matched keys`);
  for (const d of deletes) assert.ok((d.row as { id: unknown; name: unknown }).id === null || (d.row as { name: unknown }).name === null, 'only padded rows are retracted');
});

test('an outer join: WHERE filters the joined rows (a padded row fails a condition on the missing side), ON decides matches only', async () => {
  const { env, tEnv } = tableEnv(1);
  const where = tEnv.sqlQuery(`SELECT o.id AS id, c.name AS name FROM orders o LEFT JOIN customers c ON o.cust = c.cid WHERE c.name IS NULL`);
  const on = tEnv.sqlQuery(`SELECT o.id AS id, c.name AS name FROM orders o LEFT JOIN customers c ON o.cust = c.cid AND o.id < 100`);
  const s1 = new CollectSink<Change<unknown>>();
  const s2 = new CollectSink<Change<unknown>>();
  tEnv.toChangelogStream(where).sinkTo(s1);
  tEnv.toChangelogStream(on).sinkTo(s2);
  await env.execute();
  const name = (o: Order) => customers.find((c) => c.cid === o.cust)?.name ?? null;
  assert.equal(fold(s1.values), orders.filter((o) => name(o) === null).map((o) => JSON.stringify({ id: o.id, name: null })).sort());
  assert.equal(fold(s2.values), orders.map((o) => JSON.stringify({ id: o.id, name: o.id < 100 ? name(o) : null })).sort());
});

test('MIN and MAX over an updating input keep each group\'s values: a retracted extreme gives way to the next', async () => {
  const { env, tEnv } = tableEnv();
  // Per customer the running total (a changelog); per total's parity bucket the least and greatest customer total.
  const table = tEnv.sqlQuery(`SELECT bucket, MIN(total) AS lo, MAX(total) AS hi, COUNT(*) AS n FROM (
      SELECT cust, cust % 3 AS bucket, SUM(amount) AS total FROM orders GROUP BY cust) t
    GROUP BY bucket`);
  const sink = new CollectSink<Change<{ bucket: number; lo: number; hi: number; n: number }>>();
  tEnv.toChangelogStream<{ bucket: number; lo: number; hi: number; n: number }>(table).sinkTo(sink);
  await env.execute();
  const totals = new Map<number, number | null>();
  for (const o of orders) totals.set(o.cust, o.amount === null ? (totals.get(o.cust) ?? null) : (totals.get(o.cust) ?? 0) + o.amount);
  const ref = new Map<number, { bucket: number; lo: number; hi: number; n: number }>();
  for (const [cust, total] of totals) {
    const b = cust % 3;
    const g = ref.get(b) ?? { bucket: b, lo: Infinity, hi: -Infinity, n: 0 };
    if (total !== null) ((g.lo = Math.min(g.lo, total)), (g.hi = Math.max(g.hi, total)));
    g.n++;
    ref.set(b, g);
  }
  const final = materialize(sink.values, (r) => String(r.bucket));
  assert.equal(Object.fromEntries([...final].sort()), Object.fromEntries([...ref].sort()));
  assert.ok(sink.values.some((c) => c.kind === '-U'), 'the extremes were updated');
});

test('GROUP BY on expressions: the key is the expression, SELECT and HAVING may repeat it', async () => {
  const { env, tEnv } = tableEnv();
  const byMod = tEnv.sqlQuery('SELECT cust % 10 AS bucket, COUNT(*) AS n FROM orders GROUP BY cust % 10 HAVING cust % 10 < 8');
  const byUpper = tEnv.sqlQuery('SELECT UPPER(name) AS name, COUNT(*) AS n FROM customers GROUP BY UPPER(name)');
  const s1 = new CollectSink<Change<{ bucket: number; n: number }>>();
  const s2 = new CollectSink<Change<{ name: string; n: number }>>();
  tEnv.toChangelogStream<{ bucket: number; n: number }>(byMod).sinkTo(s1);
  tEnv.toChangelogStream<{ name: string; n: number }>(byUpper).sinkTo(s2);
  await env.execute();
  const ref = new Map<number, number>();
  for (const o of orders) if (o.cust % 10 < 8) ref.set(o.cust % 10, (ref.get(o.cust % 10) ?? 0) + 1);
  assert.equal(Object.fromEntries([...materialize(s1.values, (r) => String(r.bucket))].map(([b, r]) => [b, r.n])), Object.fromEntries(ref));
  assert.equal([...materialize(s2.values, (r) => r.name).keys()].sort(), customers.map((c) => c.name.toUpperCase()).sort());
});

test('NULL semantics: comparisons with NULL are unknown (not true under NOT), aggregates skip NULL, COALESCE and IS NULL', async () => {
  const { env, tEnv } = tableEnv(1);
  const rows = tEnv.sqlQuery(`SELECT id, amount > 50 AS big, NOT (amount > 50) AS small, amount + 1 AS next, CAST(amount AS VARCHAR) AS text,
      CASE WHEN amount > 50 THEN 'big' WHEN amount IS NULL THEN 'none' ELSE 'small' END AS label, COALESCE(amount, -1) AS filled,
      amount > 50 OR id >= 0 AS anyway, amount > 50 AND id < 0 AS never
    FROM orders WHERE NOT (amount < 20) OR amount IS NULL`);
  const filters = tEnv.sqlQuery(`SELECT id FROM orders WHERE amount <> 7 AND NOT (amount BETWEEN 10 AND 90) AND amount NOT IN (1, 2)`);
  const aggs = tEnv.sqlQuery(`SELECT cust, COUNT(amount) AS counted, COUNT(*) AS n, SUM(amount) AS total, AVG(amount) AS mean, MIN(amount) AS lo FROM orders WHERE cust < 3 OR amount IS NULL GROUP BY cust`);
  const s1 = new CollectSink<Record<string, unknown>>();
  const s2 = new CollectSink<{ id: number }>();
  const s3 = new CollectSink<Change<Record<string, unknown>>>();
  tEnv.toDataStream(rows).sinkTo(s1);
  tEnv.toDataStream<{ id: number }>(filters).sinkTo(s2);
  tEnv.toChangelogStream(aggs).sinkTo(s3);
  await env.execute();
  const big = (a: number | null) => (a === null ? null : a > 50);
  const expected = orders
    .filter((o) => o.amount === null || !(o.amount < 20))
    .map((o) => ({ id: o.id, big: big(o.amount), small: o.amount === null ? null : !(o.amount > 50), next: o.amount === null ? null : o.amount + 1, text: o.amount === null ? null : String(o.amount), label: o.amount === null ? 'none' : o.amount > 50 ? 'big' : 'small', filled: o.amount ?? -1, anyway: true, never: o.amount !== null && o.amount > 50 ? false : o.amount === null ? false : false }));
  assert.equal(s1.values, expected);
  assert.ok(expected.some((r) => r.big === null), 'the input has NULL amounts');
  assert.equal(s2.values.map((r) => r.id), orders.filter((o) => o.amount !== null && o.amount !== 7 && !(o.amount >= 10 && o.amount <= 90) && o.amount !== 1 && o.amount !== 2).map((o) => o.id));
  const ref = new Map<number, Record<string, unknown>>();
  for (const o of orders.filter((x) => x.cust < 3 || x.amount === null)) {
    const g = (ref.get(o.cust) ?? { cust: o.cust, counted: 0, n: 0, total: null, mean: null, lo: null }) as { cust: number; counted: number; n: number; total: number | null; mean: number | null; lo: number | null };
    g.n++;
    if (o.amount !== null) {
      g.counted++;
      g.total = (g.total ?? 0) + o.amount;
      g.mean = g.total / g.counted;
      g.lo = g.lo === null ? o.amount : Math.min(g.lo, o.amount);
    }
    ref.set(o.cust, g);
  }
  assert.equal(Object.fromEntries([...materialize(s3.values, (r) => String(r.cust))].sort()), Object.fromEntries([...ref].sort()));
  assert.ok([...ref.values()].some((g) => g.total === null), 'a group of NULL amounts only: SUM, AVG and MIN are NULL');
});

test('a GROUP BY over a join bounded by the base row (bid time between auction start and expiry) runs as one operator; bids before their auction, and a repeated auction id, count as in a regular join', async () => {
  // Events in about time order (out of order by < 400 ms, watermark delay 500 ms): auctions, bids.
  type Ev = { kind: 'a' | 'b'; id: number; cat: number; start: number; expires: number; price: number; t: number };
  const rnd = new SeededRandom(4);
  const evs: Ev[] = [];
  for (let i = 0; i < 40; i++) {
    const start = 1000 + i * 250;
    evs.push({ kind: 'a', id: i % 30, cat: (i % 30) % 4, start, expires: start + 2000 + rnd.int(2000), price: 0, t: start });
  }
  for (let j = 0; j < 600; j++) {
    const t = 1000 + rnd.int(14_000);
    evs.push({ kind: 'b', id: rnd.int(32), cat: 0, start: 0, expires: 0, price: 1 + rnd.int(1000), t });
  }
  // Arrival order: by time with jitter, so some bids come before their auction.
  const arrival = evs.map((e) => ({ e, at: e.t + (e.kind === 'a' ? 300 : rnd.int(100)) })).sort((x, y) => x.at - y.at).map((x) => x.e);
  // Small batches: the join sees bids before their auction, and watermarks (closing auctions) in between.
  const env = StreamEnvironment.create({ parallelism: 2, batchSize: 4 });
  const tEnv = TableEnvironment.create(env);
  tEnv.createTemporaryView('ev', env.fromCollection(arrival), { schema: { kind: 'STRING', id: 'BIGINT', cat: 'BIGINT', start: 'BIGINT', expires: 'BIGINT', price: 'BIGINT', t: 'TIMESTAMP' }, rowtime: 't', watermarkDelayMs: 500 });
  tEnv.sql(`CREATE VIEW auctions AS SELECT id, cat, expires, t FROM ev WHERE kind = 'a';
    CREATE VIEW bids AS SELECT id AS auction, price, t FROM ev WHERE kind = 'b'`);
  const table = tEnv.sqlQuery(`SELECT A.id AS id, A.cat AS cat, MAX(B.price) AS top, COUNT(*) AS n FROM auctions A, bids B
    WHERE A.id = B.auction AND B.t BETWEEN A.t AND A.expires GROUP BY A.id, A.cat`);
  assert.match(table.explain(), /join-aggregate\(bounded, emit on close\)/);
  const sink = new CollectSink<Change<{ id: number; cat: number; top: number; n: number }>>();
  tEnv.toChangelogStream<{ id: number; cat: number; top: number; n: number }>(table).sinkTo(sink);
  await env.execute();
  const ref = new Map<string, { id: number; cat: number; top: number; n: number }>();
  for (const a of evs.filter((e) => e.kind === 'a'))
    for (const b of evs.filter((e) => e.kind === 'b' && e.id === a.id && e.t >= a.t && e.t <= a.expires)) {
      const key = String(a.id);
      const g = ref.get(key) ?? { id: a.id, cat: a.cat, top: 0, n: 0 };
      g.top = Math.max(g.top, b.price);
      g.n++;
      ref.set(key, g);
    }
  const final = materialize(sink.values, (r) => String(r.id));
  assert.equal(Object.fromEntries([...final].sort()), Object.fromEntries([...ref].sort()));
  const early = evs.filter((b) => b.kind === 'b' && arrival.indexOf(b) < arrival.findIndex((a) => a.kind === 'a' && a.id === b.id && b.t >= a.t && b.t <= a.expires));
  assert.ok(early.length > 0, 'some bids arrive before their auction');
  const auctionsOf = (id: number) => evs.filter((a) => a.kind === 'a' && a.id === id && evs.some((b) => b.kind === 'b' && b.id === id && b.t >= a.t && b.t <= a.expires)).length;
  assert.ok([...ref.values()].some((g) => auctionsOf(g.id) === 2), 'a group fed by two auction rows of one id');
  assert.ok(sink.values.some((c) => c.kind === '-U'), 'the second auction of an id updates the row its first one emitted');
});

test('a join of two TUMBLE aggregations on their window runs as one operator; several groups of one join key per window all meet', async () => {
  type Ev = { side: string; id: number; name: string; n: number; t: number };
  const rnd = new SeededRandom(8);
  const evs: Ev[] = Array.from({ length: 500 }, (_x, i) => ({ side: rnd.int(2) === 0 ? 'p' : 'a', id: rnd.int(15), name: `n${rnd.int(3)}`, n: 1 + rnd.int(9), t: i * 40 }));
  const env = StreamEnvironment.create({ parallelism: 2, batchSize: 16 });
  const tEnv = TableEnvironment.create(env);
  tEnv.createTemporaryView('ev', env.fromCollection(evs), { schema: { side: 'STRING', id: 'BIGINT', name: 'STRING', n: 'BIGINT', t: 'TIMESTAMP' }, rowtime: 't', watermarkDelayMs: 0 });
  tEnv.sql(`CREATE VIEW p AS SELECT id, name, n, t FROM ev WHERE side = 'p'; CREATE VIEW a AS SELECT id, n, t FROM ev WHERE side = 'a'`);
  const table = tEnv.sqlQuery(`SELECT L.id AS id, L.name AS name, L.total AS lt, R.total AS rt, L.ws AS ws FROM
      (SELECT id, name, SUM(n) AS total, window_start AS ws, window_end AS we FROM TABLE(TUMBLE(TABLE p, DESCRIPTOR(t), INTERVAL '2' SECOND)) GROUP BY id, name, window_start, window_end) L
    JOIN
      (SELECT id, SUM(n) AS total, window_start AS ws, window_end AS we FROM TABLE(TUMBLE(TABLE a, DESCRIPTOR(t), INTERVAL '2' SECOND)) GROUP BY id, window_start, window_end HAVING SUM(n) > 3) R
    ON L.id = R.id AND L.ws = R.ws AND L.we = R.we WHERE L.total < R.total + 5`);
  assert.match(table.explain(), /window-join\(TUMBLE\(size=2000ms\), both aggregations in one operator\)/);
  const sink = new CollectSink<Record<string, unknown>>();
  tEnv.toDataStream(table).sinkTo(sink);
  await env.execute();
  const sums = (side: string, key: (e: Ev) => string) => {
    const m = new Map<string, { e: Ev; ws: number; total: number }>();
    for (const e of evs.filter((x) => x.side === side)) {
      const ws = e.t - (e.t % 2000);
      const k = `${key(e)}|${ws}`;
      const g = m.get(k) ?? { e, ws, total: 0 };
      g.total += e.n;
      m.set(k, g);
    }
    return [...m.values()];
  };
  const rights = sums('a', (e) => String(e.id)).filter((g) => g.total > 3);
  const expected = sums('p', (e) => `${e.id}|${e.name}`).flatMap((l) => rights.filter((r) => r.e.id === l.e.id && r.ws === l.ws && l.total < r.total + 5).map((r) => JSON.stringify({ id: l.e.id, name: l.e.name, lt: l.total, rt: r.total, ws: l.ws })));
  assert.equal(sink.values.map((r) => JSON.stringify(r)).sort(), expected.sort());
  assert.ok(expected.length > 20);
  const twoNames = sums('p', (e) => `${e.id}|${e.name}`).some((x, _i, all) => all.some((y) => y !== x && y.e.id === x.e.id && y.ws === x.ws));
  assert.ok(twoNames, 'a join key with two left groups in one window');
});

test.run();
