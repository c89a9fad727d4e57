import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamEnvironment, CollectSink, SeededRandom } from '../../src/index.ts';
import { makeEvent, events, compareByKey, runningSums, type Event } from './fixtures.ts';

interface Total {
  key: string;
  sum: number;
  count: number;
  last: number;
}

test('crash injection: the stateful actor throws at random points; output equals the reference, nothing lost or duplicated, only it restarts', async () => {
  const count = 1_000_000;
  const seed = 11;
  const crashRandom = new SeededRandom(99);
  const crashAt = new Set<number>();
  while (crashAt.size < 6) crashAt.add(crashRandom.int(count));

  const env = StreamEnvironment.create({ parallelism: 1, supervision: { maxRestarts: 10, withinMs: 60_000, backoff: { initialMs: 1, maxMs: 5 } } });
  const sink = new CollectSink<Total>();
  env
    .fromGenerator((i, r) => makeEvent(i, r), { count, seed, name: 'events' })
    .map((e): Total => ({ key: e.key, sum: e.value, count: 1, last: e.i }), 'to-total')
    .disableChaining()
    .keyBy((t) => t.key)
    .reduce((acc, t) => {
      if (crashAt.has(t.last)) {
        crashAt.delete(t.last); // fail once at this record: a transient fault
        throw new Error(`injected crash at record ${t.last}`);
      }
      return { key: acc.key, sum: acc.sum + t.sum, count: acc.count + 1, last: t.last };
    }, 'running-total')
    .sinkTo(sink)
    .disableChaining();
  const job = env.executeAsync('crash-injection');
  const result = await job.done;

  // Reference: the same running reduce as a plain loop.
  const state = new Map<string, Total>();
  const expected: Total[] = [];
  for (const e of events(count, seed)) {
    const prev = state.get(e.key);
    const next = prev ? { key: e.key, sum: prev.sum + e.value, count: prev.count + 1, last: e.i } : { key: e.key, sum: e.value, count: 1, last: e.i };
    state.set(e.key, next);
    expected.push(next);
  }
  const cmp = compareByKey(sink.values, expected, (t) => t.key, (t) => `${t.last}:${t.sum}:${t.count}`);
  assert.is(cmp.lost, 0, 'lost');
  assert.is(cmp.duplicated, 0, 'duplicated');
  assert.is(cmp.mismatch, undefined);
  assert.is(sink.values.length, expected.length);
  assert.is(crashAt.size, 0, 'every injected crash happened');

  const actors = job.metrics().actors;
  assert.is(actors.length, 4, 'source, map, reduce, sink');
  const restarted = actors.filter((a) => a.restarts > 0).map((a) => a.id);
  assert.equal(restarted, ['running-total#0']);
  assert.is(result.restarts, 6);
  assert.is(result.recordsIn, count);
  assert.is(result.recordsOut, count);
});

test('parallel keyed reduce (3 subtasks) with crashes: per-key results equal the reference', async () => {
  const count = 200_000;
  const seed = 5;
  const crashAt = new Set([1234, 50_000, 120_001, 199_990]);
  const env = StreamEnvironment.create({ parallelism: 3, snapshotEvery: 8, supervision: { maxRestarts: 10, backoff: { initialMs: 1, maxMs: 5 } } });
  const sink = new CollectSink<Event>();
  env
    .fromGenerator((i, r) => makeEvent(i, r, 50), { count, seed })
    .setParallelism(1) // one source keeps each key's order defined, so running values compare exactly
    .keyBy((e) => e.key)
    .reduce((a, b) => {
      if (crashAt.has(b.i)) {
        crashAt.delete(b.i);
        throw new Error('injected');
      }
      return { i: b.i, key: a.key, value: a.value + b.value };
    })
    .sinkTo(sink);
  const result = await env.execute('parallel-crash');
  const cmp = compareByKey(sink.values, runningSums(count, seed, 50), (e) => e.key, (e) => `${e.i}:${e.value}`);
  assert.equal(cmp, { lost: 0, duplicated: 0, mismatch: undefined });
  assert.is(result.restarts, 4);
});

test.run();
