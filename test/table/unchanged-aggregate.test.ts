import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamEnvironment, TableEnvironment, CollectSink, SeededRandom, materialize, type Change } from '../../src/index.ts';

// An unbounded GROUP BY whose result does not change with a row (a MAX not beaten, a group without aggregates)
// sends nothing for it, as Flink's group aggregation does: before, every row sent a -U/+U pair of two equal rows.

interface Bid {
  item: string;
  price: number;
}
const random = new SeededRandom(11);
const bids: Bid[] = Array.from({ length: 4000 }, () => ({ item: `i${random.int(20)}`, price: 1 + random.int(1000) }));

// Parallelism 1: the reference counts a group's rises in input order, which one source subtask keeps.
function tableEnv() {
  const env = StreamEnvironment.create({ parallelism: 1 });
  const tEnv = TableEnvironment.create(env);
  tEnv.createTemporaryView('bids', env.fromCollection(bids), { schema: { item: 'STRING', price: 'BIGINT' } });
  return { env, tEnv };
}

test('MAX: a row that does not raise its group\u2019s maximum sends no -U/+U; folded, the changelog equals the reference', async () => {
  const { env, tEnv } = tableEnv();
  const sink = new CollectSink<Change<{ item: string; top: number }>>();
  tEnv.toChangelogStream<{ item: string; top: number }>(tEnv.sqlQuery('SELECT item, MAX(price) AS top FROM bids GROUP BY item')).sinkTo(sink);
  await env.execute();
  // Reference: per item, the number of times its maximum rose (its first bid included), and the final maximum.
  const top = new Map<string, number>();
  let rises = 0;
  for (const b of bids) {
    const t = top.get(b.item);
    if (t === undefined || b.price > t) {
      if (t !== undefined) rises++;
      top.set(b.item, b.price);
    }
  }
  const kinds = sink.values.map((c) => c.kind);
  assert.is(kinds.filter((k) => k === '+I').length, top.size, 'one insert per item');
  assert.is(kinds.filter((k) => k === '-U').length, rises, 'one retraction per rise of a maximum, none for other bids');
  assert.is(kinds.filter((k) => k === '+U').length, rises);
  for (let i = 0; i < sink.values.length; i++) {
    if (sink.values[i]!.kind !== '-U') continue;
    assert.ok(sink.values[i + 1]!.row.top > sink.values[i]!.row.top, 'an update raises the maximum');
  }
  const final = materialize(sink.values, (r) => r.item);
  assert.equal(Object.fromEntries([...final].map(([k, r]) => [k, r.top]).sort()), Object.fromEntries([...top].sort()));
});

test('GROUP BY without aggregates: one +I per group and nothing for its later rows', async () => {
  const { env, tEnv } = tableEnv();
  const sink = new CollectSink<Change<{ item: string }>>();
  tEnv.toChangelogStream<{ item: string }>(tEnv.sqlQuery('SELECT item FROM bids GROUP BY item')).sinkTo(sink);
  await env.execute();
  const items = new Set(bids.map((b) => b.item));
  assert.equal(sink.values.map((c) => c.kind), [...items].map(() => '+I'));
  assert.equal(new Set(sink.values.map((c) => c.row.item)), items);
});

test('GROUP BY without aggregates in a TUMBLE window: one row per group and window, as the reference', async () => {
  const env = StreamEnvironment.create({ parallelism: 2 });
  const tEnv = TableEnvironment.create(env);
  const rows = bids.map((b, i) => ({ ...b, ts: i * 7 }));
  tEnv.createTemporaryView('bids', env.fromCollection(rows), { schema: { item: 'STRING', price: 'BIGINT', ts: 'TIMESTAMP' }, rowtime: 'ts', watermarkDelayMs: 0 });
  const sink = new CollectSink<{ item: string; ws: number }>();
  tEnv.toDataStream<{ item: string; ws: number }>(tEnv.sqlQuery("SELECT item, window_start AS ws FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY item, window_start, window_end")).sinkTo(sink);
  await env.execute();
  const ref = [...new Set(rows.map((r) => `${r.item}|${r.ts - (r.ts % 1000)}`))].sort();
  assert.equal(sink.values.map((r) => `${r.item}|${r.ws}`).sort(), ref);
});

test.run();
