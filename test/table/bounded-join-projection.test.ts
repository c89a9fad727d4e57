import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamEnvironment, TableEnvironment, WatermarkStrategy, CollectSink, SeededRandom, materialize, type Change } from '../../src/index.ts';

/**
 * A GROUP BY over a bounded join (q4's shape) whose probe side is a view projecting an event stream
 * (`CREATE VIEW bids AS SELECT bid.auction AS auction, bid.price * 2 AS dbl, … FROM events WHERE kind = 2`)
 * runs the projection inside the join-aggregate: its columns' code reads the events themselves, so
 * no projected row is made per bid (EXPLAIN shows no select on that side). The result equals a
 * plain-TypeScript reference, with a residual condition over the projected columns, with the base
 * side unique on the join key and without.
 */

type Auction = { id: number; cat: number; reserve: number; t: number; expires: number };
type Bid = { auction: number; price: number; bidder: number; t: number };
type Event = { kind: number; auction?: Auction; bid?: Bid };
const rnd = new SeededRandom(44);
const auctions: Auction[] = Array.from({ length: 40 }, (_x, i) => ({ id: i, cat: i % 5, reserve: rnd.int(600), t: 500 + i * 250, expires: 0 })).map((a) => ({ ...a, expires: a.t + 1000 + rnd.int(3000) }));
const bids: Bid[] = Array.from({ length: 3000 }, () => ({ auction: rnd.int(45), price: 1 + rnd.int(500), bidder: rnd.int(100), t: 400 + rnd.int(14_000) }));
const events: Event[] = [...auctions.map((a): Event => ({ kind: 1, auction: a })), ...bids.map((b): Event => ({ kind: 2, bid: b }))].sort((x, y) => (x.auction ?? x.bid)!.t - (y.auction ?? y.bid)!.t);

type Out = { id: number; cat: number; top: number; n: number; g: number };
const reference = new Map<string, Out>();
for (const a of auctions)
  for (const b of bids) {
    if (b.auction !== a.id || b.t < a.t || b.t > a.expires || b.price * 2 <= a.reserve) continue;
    const o = reference.get(String(a.id)) ?? { id: a.id, cat: a.cat, top: 0, n: 0, g: 0 };
    o.top = Math.max(o.top, b.price * 2);
    o.n++;
    o.g += b.bidder % 7;
    reference.set(String(a.id), o);
  }

async function run(primaryKey: string[] | undefined) {
  const env = StreamEnvironment.create({ parallelism: 2, batchSize: 8 });
  const tEnv = TableEnvironment.create(env);
  const stream = env.fromCollection(events).assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Event>(0).withTimestampAssigner((e) => (e.auction ?? e.bid)!.t));
  const schema = { auction: { id: 'BIGINT', cat: 'BIGINT', reserve: 'BIGINT', t: 'TIMESTAMP', expires: 'TIMESTAMP' }, bid: { auction: 'BIGINT', price: 'BIGINT', bidder: 'BIGINT', t: 'TIMESTAMP' } };
  tEnv.createTemporaryView('events', stream, { schema: { kind: 'INT', ...schema }, computed: { t: { type: 'TIMESTAMP', expr: 'CASE kind WHEN 1 THEN auction.t ELSE bid.t END' } }, rowtime: 't' });
  tEnv.createTemporaryView('auctions', stream.filter((e) => e.kind === 1).map((e) => e.auction!), { schema: schema.auction, rowtime: 't', ...(primaryKey ? { primaryKey } : {}) });
  tEnv.sql(`CREATE VIEW bids AS SELECT bid.auction AS auction, bid.price * 2 AS dbl, MOD(bid.bidder, 7) AS grp, t FROM events WHERE kind = 2`);
  const table = tEnv.sqlQuery(`SELECT A.id AS id, A.cat AS cat, MAX(B.dbl) AS top, COUNT(*) AS n, SUM(B.grp) AS g FROM auctions A, bids B
    WHERE A.id = B.auction AND B.t BETWEEN A.t AND A.expires AND B.dbl > A.reserve GROUP BY A.id, A.cat`);
  const plan = table.explain();
  const sink = new CollectSink<Change<Out> | Out>();
  if (table.changelog) tEnv.toChangelogStream<Out>(table).sinkTo(sink as CollectSink<Change<Out>>);
  else tEnv.toDataStream<Out>(table).sinkTo(sink as CollectSink<Out>);
  await env.execute();
  const changes = table.changelog ? (sink.values as Change<Out>[]) : (sink.values as Out[]).map((row) => ({ kind: '+I' as const, row }));
  return { plan, result: Object.fromEntries([...materialize(changes, (r) => String(r.id))].map(([key, r]) => [key, { ...r }]).sort()) };
}

const expected = Object.fromEntries([...reference].sort());

for (const [label, key] of [['unique on the join key', ['id']], ['without a key', undefined]] as const) {
  test(`the bid view's projection runs inside the join-aggregate (${label}); the result equals the reference`, async () => {
    const { plan, result } = await run(key as string[] | undefined);
    assert.match(plan, /join-aggregate\(bounded/);
    assert.not.match(plan, /:select/, `no projected row per bid:\n${plan}`);
    assert.ok(Object.keys(expected).length > 20);
    assert.equal(result, expected);
  });
}

test.run();
