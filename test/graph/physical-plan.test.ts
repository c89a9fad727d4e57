import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamEnvironment, CollectSink, InvalidJobError, TumblingEventTimeWindows, TumblingProcessingTimeWindows, EventTimeSessionWindows, type Source } from '../../src/index.ts';
import { buildPhysicalPlan } from '../../src/graph/physical-plan.ts';

test('stateless steps chain with their source; keyBy and parallelism changes start new chains', () => {
  const env = StreamEnvironment.create({ parallelism: 2 });
  env
    .fromCollection([1, 2, 3])
    .map((x) => x + 1, 'a')
    .filter((x) => x > 1, 'b')
    .keyBy((x) => x % 2)
    .reduce((x, y) => x + y, 'sum')
    .map((x) => x * 2, 'c')
    .sinkTo(new CollectSink<number>())
    .setParallelism(1);
  const plan = buildPhysicalPlan(env.transformations, env.options.parallelism);
  assert.equal(plan.chains.map((c) => [c.name, c.parallelism]), [
    ['collection -> a -> b', 2],
    ['sum -> c', 2],
    ['collect', 1],
  ]);
  assert.equal(plan.edges.map((e) => [e.from, e.to, e.partitioning.kind]), [
    [0, 1, 'hash'],
    [1, 2, 'rebalance'],
  ]);
});

test("at parallelism 1 a running reduce or aggregate joins its producer's chain, and so does an event-time window behind a source that replays the same batches; keyed process functions do not", () => {
  const env = StreamEnvironment.create();
  env.fromCollection([1, 2, 3]).map((x) => x + 1, 'a').keyBy((x) => x % 2).reduce((x, y) => x + y, 'sum').map((x) => x * 2, 'c').sinkTo(new CollectSink<number>());
  env.fromCollection([1]).keyBy((x) => x).aggregate({ createAccumulator: () => 0, add: (x, acc) => acc + x, getResult: (acc) => acc, merge: (a, b) => a + b }, 'agg').sinkTo(new CollectSink<number>());
  env.fromCollection([4]).keyBy((x) => x).process({ processElement: (x, _ctx, out) => out.collect(x) }, 'proc').sinkTo(new CollectSink<number>());
  env.fromCollection([5]).keyBy((x) => x).window(TumblingEventTimeWindows.of(10)).reduce((a, b) => a + b, undefined, 'win').sinkTo(new CollectSink<number>());
  const plan = buildPhysicalPlan(env.transformations, 1);
  assert.equal(plan.chains.map((c) => c.name), ['collection -> a -> sum -> c -> collect', 'collection -> agg -> collect', 'collection', 'proc -> collect', 'collection -> win -> collect']);
  // A rate-limited generator cuts its batches by the clock, and processing-time windows fire on it: neither replays the same firings.
  const env4 = StreamEnvironment.create();
  env4.fromGenerator((i) => i, { count: 10, ratePerSecond: 1000, name: 'paced' }).keyBy((x) => x % 2).window(TumblingEventTimeWindows.of(10)).reduce((a, b) => a + b, undefined, 'win').sinkTo(new CollectSink<number>());
  env4.fromGenerator((i) => i, { count: 10, name: 'gen' }).keyBy((x) => x % 2).window(TumblingProcessingTimeWindows.of(10)).reduce((a, b) => a + b, undefined, 'clock').sinkTo(new CollectSink<number>());
  env4.fromGenerator((i) => i, { count: 10, name: 'gen2' }).keyBy((x) => x % 2).window(EventTimeSessionWindows.withGap(10)).reduce((a, b) => a + b, undefined, 'session').sinkTo(new CollectSink<number>());
  assert.equal(buildPhysicalPlan(env4.transformations, 1).chains.map((c) => c.name), ['paced', 'win -> collect', 'gen', 'clock -> collect', 'gen2 -> session -> collect']);
  // At parallelism 2 the same keyed edge shuffles.
  const env2 = StreamEnvironment.create({ parallelism: 2 });
  env2.fromCollection([1]).keyBy((x) => x).reduce((x, y) => x + y, 'sum').sinkTo(new CollectSink<number>());
  assert.equal(buildPhysicalPlan(env2.transformations, 2).chains.map((c) => c.name), ['collection', 'sum -> collect']);
  // A source that cannot read again (core NATS) keeps the reduce in an actor that logs its input.
  const env3 = StreamEnvironment.create();
  const once: Source<number> = { name: 'once', replayable: false, createReader: () => ({ open() {}, read: () => -1, snapshot: () => null, restore() {}, close() {} }) };
  env3.fromSource(once).keyBy((x) => x).reduce((x, y) => x + y, 'sum').sinkTo(new CollectSink<number>());
  assert.equal(buildPhysicalPlan(env3.transformations, 1).chains.map((c) => c.name), ['once', 'sum -> collect']);
});

test('disableChaining puts an operator in an actor of its own', () => {
  const env = StreamEnvironment.create();
  env.fromCollection([1]).map((x) => x, 'm').disableChaining().sinkTo(new CollectSink());
  const plan = buildPhysicalPlan(env.transformations, 1);
  assert.equal(plan.chains.map((c) => c.name), ['collection', 'm', 'collect']);
});

test('a job without a sink, or with a bad parallelism, is refused with advice', () => {
  const env = StreamEnvironment.create();
  env.fromCollection([1]).map((x) => x);
  assert.throws(() => env.executeAsync('x'), (e: Error) => e instanceof InvalidJobError && /sinkTo/.test(e.message));
  assert.throws(() => env.fromCollection([1]).setParallelism(0), /positive integer/);
  assert.throws(() => StreamEnvironment.create({ parallelism: 300 }), /maxParallelism/);
});

test('keyed results are the same at parallelism 1 and 4', async () => {
  const run = async (parallelism: number) => {
    const env = StreamEnvironment.create({ parallelism });
    const sink = new CollectSink<[string, number]>();
    env
      .fromGenerator((i, r) => [`k${r.int(37)}`, r.int(100)] as [string, number], { count: 20_000, seed: 3 })
      .setParallelism(1)
      .keyBy((p) => p[0])
      .reduce((a, b) => [a[0], a[1] + b[1]])
      .sinkTo(sink);
    await env.execute('p');
    const last = new Map<string, number>();
    for (const [k, v] of sink.values) last.set(k, v);
    return [...last].sort();
  };
  assert.equal(await run(4), await run(1));
});

test.run();
