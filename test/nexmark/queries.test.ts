import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CollectSink } from '../../src/index.ts';
import { queries } from '../../bench/nexmark/queries/index.ts';
import { runQuery, NexmarkGenerator } from '../../bench/nexmark/job.ts';

const COUNT = 200_000;

for (const query of queries) {
  test(`${query.name} (${query.description}) on ${COUNT.toLocaleString('en')} out-of-order events equals its reference`, async () => {
    const gen = new NexmarkGenerator({ seed: 7, outOfOrderMs: 500 });
    const sink = new CollectSink<unknown>();
    // Parallelism 2 for the keyed queries: partitioning and watermark alignment are part of what is checked.
    await runQuery(query, gen, COUNT, sink, { parallelism: ['q0', 'q1', 'q2'].includes(query.name) ? 1 : 2 });
    const final = query.final ?? ((x: unknown[]) => x);
    const got = final(sink.values).map(query.row).sort();
    const rows: unknown[] = [];
    query.reference(gen, COUNT, (row) => rows.push(row));
    const expected = final(rows).map(query.row).sort();
    assert.ok(expected.length > 0, 'the reference has results');
    assert.is(got.length, expected.length, 'row count');
    assert.equal(got, expected);
  });
}

test('the generator follows the Nexmark mix (1 person : 3 auctions : 46 bids), ids from 1000, deterministic per seed', () => {
  const gen = new NexmarkGenerator({ seed: 3 });
  const kinds = [0, 0, 0];
  for (let i = 0; i < 5000; i++) kinds[gen.event(i).kind]!++;
  assert.equal(kinds, [100, 300, 4600]);
  const first = gen.event(0);
  assert.is(first.kind, 0);
  assert.is((first as { person: { id: number } }).person.id, 1000);
  assert.equal(new NexmarkGenerator({ seed: 3 }).event(4242), gen.event(4242));
  assert.not.equal(new NexmarkGenerator({ seed: 4 }).event(4242), gen.event(4242));
});

test.run();
