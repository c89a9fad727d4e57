import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { StreamEnvironment, TableEnvironment, CollectSink, SeededRandom, materialize, type Change } from '../../src/index.ts';

/**
 * `PRIMARY KEY (id) NOT ENFORCED` in CREATE TABLE: the key is inferred through views (filters and
 * projections that keep it), and a GROUP BY over a join bounded by the base row (q4's shape) whose
 * base side is unique on the join key drops what only a repeated key needs. The result equals a
 * reference, with the key and without it (then the safe plan runs).
 */

const dir = mkdtempSync(join(tmpdir(), 'sql-unique-key-'));
type Auction = { id: number; cat: number; expires: number; t: number };
type Bid = { auction: number; price: number; t: number };
const rnd = new SeededRandom(12);
// Auction ids are unique; bids go to ids 0…34 (30…34 have no auction), some before their auction starts.
const auctions: Auction[] = Array.from({ length: 30 }, (_x, i) => ({ id: i, cat: i % 4, expires: 0, t: 1000 + i * 300 })).map((a) => ({ ...a, expires: a.t + 1500 + rnd.int(2500) }));
const bids: Bid[] = Array.from({ length: 1500 }, () => ({ auction: rnd.int(35), price: 1 + rnd.int(1000), t: 900 + rnd.int(13_000) }));
// Written in about time order (out of order by < 300 ms, the watermark allows 500 ms).
const jittered = <T extends { t: number }>(rows: T[]) => rows.map((r) => ({ r, at: r.t + rnd.int(300) })).sort((x, y) => x.at - y.at).map((x) => JSON.stringify(x.r)).join('\n') + '\n';
writeFileSync(join(dir, 'auctions.jsonl'), jittered(auctions));
writeFileSync(join(dir, 'bids.jsonl'), jittered(bids));

const reference = new Map<string, { id: number; cat: number; top: number; n: number }>();
for (const a of auctions)
  for (const b of bids.filter((x) => x.auction === a.id && x.t >= a.t && x.t <= a.expires)) {
    const g = reference.get(String(a.id)) ?? { id: a.id, cat: a.cat, top: 0, n: 0 };
    g.top = Math.max(g.top, b.price);
    g.n++;
    reference.set(String(a.id), g);
  }

async function run(key: string, view: string) {
  const env = StreamEnvironment.create({ parallelism: 2, batchSize: 8 });
  const tEnv = TableEnvironment.create(env);
  tEnv.sql(`
    CREATE TABLE auctions (id BIGINT, cat BIGINT, expires BIGINT, t TIMESTAMP(3), WATERMARK FOR t AS t - INTERVAL '0.5' SECOND${key})
      WITH ('connector' = 'file', 'path' = '${join(dir, 'auctions.jsonl')}');
    CREATE TABLE bids (auction BIGINT, price BIGINT, t TIMESTAMP(3), WATERMARK FOR t AS t - INTERVAL '0.5' SECOND)
      WITH ('connector' = 'file', 'path' = '${join(dir, 'bids.jsonl')}');
    CREATE VIEW open_auctions AS ${view}`);
  const table = tEnv.sqlQuery(`SELECT A.id AS id, A.cat AS cat, MAX(B.price) AS top, COUNT(*) AS n FROM open_auctions A, bids B
    WHERE A.id = B.auction AND B.t BETWEEN A.t AND A.expires GROUP BY A.id, A.cat`);
  const sink = new CollectSink<Change<{ id: number; cat: number; top: number; n: number }>>();
  tEnv.toChangelogStream<{ id: number; cat: number; top: number; n: number }>(table).sinkTo(sink);
  const plan = table.explain();
  await env.execute();
  return { plan, updating: table.changelog, changes: sink.values, result: Object.fromEntries([...materialize(sink.values, (r) => String(r.id))].sort()) };
}

const expected = Object.fromEntries([...reference].sort());
const keyed = ', PRIMARY KEY (id) NOT ENFORCED';

test('with PRIMARY KEY (id) NOT ENFORCED, inferred through a view that filters and keeps id, the join-aggregate relies on it; the result equals the reference', async () => {
  const { plan, updating, changes, result } = await run(keyed, `SELECT id, cat, expires AS expires, t FROM auctions WHERE cat >= 0`);
  assert.match(plan, /join-aggregate\(bounded, emit on close, unique base key\)/);
  assert.is(updating, false, 'each group is final when emitted: an append-only table');
  assert.equal(result, expected);
  assert.ok(changes.every((c) => c.kind === '+I'), 'one row per auction, never retracted');
  assert.ok(Object.keys(expected).length >= 25, 'most auctions have bids');
});

test('without the key, or with a view that computes the key column, the safe plan runs and the result is the same', async () => {
  for (const [key, view] of [
    ['', `SELECT id, cat, expires, t FROM auctions`],
    [keyed, `SELECT id + 0 AS id, cat, expires, t FROM auctions`],
  ] as const) {
    const { plan, updating, result } = await run(key, view);
    assert.is(updating, true);
    assert.match(plan, /join-aggregate\(bounded, emit on close\)/, `${key || 'no key'} / ${view}`);
    assert.equal(result, expected);
  }
});

test('fromDataStream with primaryKey: bids that arrive before their auction (one stream, in arrival order) count, and the result equals the reference', async () => {
  // Auctions arrive 400 ms late (the watermark allows 500), bids at most 100 ms: some bids come first.
  const arrival = [...auctions.map((a) => ({ kind: 'a', id: a.id, cat: a.cat, expires: a.expires, price: 0, t: a.t, at: a.t + 400 })), ...bids.map((b) => ({ kind: 'b', id: b.auction, cat: 0, expires: 0, price: b.price, t: b.t, at: b.t + rnd.int(100) }))].sort((x, y) => x.at - y.at);
  const early = bids.filter((b) => auctions.some((a) => a.id === b.auction && b.t >= a.t && b.t <= a.expires && b.t < a.t + 400));
  assert.ok(early.length > 5, 'some matching bids arrive before their auction');
  const env = StreamEnvironment.create({ parallelism: 2, batchSize: 4 });
  const tEnv = TableEnvironment.create(env);
  tEnv.createTemporaryView('ev', env.fromCollection(arrival), { schema: { kind: 'STRING', id: 'BIGINT', cat: 'BIGINT', expires: 'BIGINT', price: 'BIGINT', t: 'TIMESTAMP' }, rowtime: 't', watermarkDelayMs: 500 });
  const kind = (k: string, cols: string) => tEnv.toDataStream(tEnv.sqlQuery(`SELECT ${cols} FROM ev WHERE kind = '${k}'`));
  tEnv.createTemporaryView('auctions', kind('a', 'id, cat, expires, t'), { schema: { id: 'BIGINT', cat: 'BIGINT', expires: 'BIGINT', t: 'TIMESTAMP' }, rowtime: 't', primaryKey: ['id'] });
  tEnv.createTemporaryView('bids', kind('b', 'id AS auction, price, t'), { schema: { auction: 'BIGINT', price: 'BIGINT', t: 'TIMESTAMP' }, rowtime: 't' });
  const table = tEnv.sqlQuery(`SELECT A.id AS id, A.cat AS cat, MAX(B.price) AS top, COUNT(*) AS n FROM auctions A, bids B
    WHERE A.id = B.auction AND B.t BETWEEN A.t AND A.expires GROUP BY A.id, A.cat`);
  assert.match(table.explain(), /unique base key/);
  const sink = new CollectSink<Change<{ id: number; cat: number; top: number; n: number }>>();
  tEnv.toChangelogStream<{ id: number; cat: number; top: number; n: number }>(table).sinkTo(sink);
  await env.execute();
  assert.equal(Object.fromEntries([...materialize(sink.values, (r) => String(r.id))].sort()), expected);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
