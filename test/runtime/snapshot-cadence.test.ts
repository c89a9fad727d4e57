import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamEnvironment, CountSink, InspectionBus, WatermarkStrategy, TumblingEventTimeWindows, type AggregateFunction } from '../../src/index.ts';

// Issue 24 (Nexmark q7): an actor with a small state whose own work per batch is tiny snapshotted
// only when its replay log was full (64 batches: the snapshot cost more than 5% of its work), so
// it kept ~64 input batches alive, which every scavenge copied and then promoted. A small packed
// snapshot now comes every snapshotEvery / 4 batches.

interface Ev { key: number; at: number; price: number }

/** The highest price per key and window: an object accumulator, so snapshots are packed (not kept by reference). */
const highest: AggregateFunction<Ev, { max: number }, number> = {
  createAccumulator: () => ({ max: -1 }),
  add: (e, acc) => (e.price > acc.max ? { max: e.price } : acc),
  getResult: (acc) => acc.max,
  merge: (a, b) => (a.max >= b.max ? a : b),
};

async function run(keys: number) {
  const inspection = new InspectionBus();
  let packed = 0;
  inspection.subscribe((e) => {
    if (e.type === 'actor.snapshot' && e.actor.includes('highest') && !e.byReference) packed++;
  });
  const env = StreamEnvironment.create({ inspection });
  const sink = new CountSink();
  env
    .fromGenerator((i, r): Ev => ({ key: r.int(keys), at: i, price: r.int(1_000_000) }), { count: 300_000, seed: 5 })
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.at))
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(100_000))
    .aggregate(highest, undefined, 'highest')
    // An actor of its own, which logs its input (behind this generator it would join the source's chain).
    .startNewChain()
    .sinkTo(sink);
  const job = env.executeAsync('snapshot-cadence');
  await job.done;
  const actor = job.metrics().actors.find((a) => a.operator.includes('highest'))!;
  return { peak: actor.replayLogPeak, packed, outputs: sink.count };
}

test('a window over 16 keys (a small packed snapshot) retains at most a quarter of snapshotEvery batches of input, whatever its snapshots cost in time', async () => {
  const r = await run(16);
  assert.is(r.outputs, 16 * 3);
  assert.ok(r.packed > 20, `packed snapshots: ${r.packed}`);
  // snapshotEvery is 32: a snapshot after 8 batches, and the log trimmed once it is stored.
  assert.ok(r.peak <= 12, `replay log peak ${r.peak} batches`);
});

test.run();
