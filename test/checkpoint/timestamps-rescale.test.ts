import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectorySnapshotStore, JobCancelledError, StreamEnvironment, TransactionalCollectSink, TumblingEventTimeWindows, WatermarkStrategy, type EnvironmentOptions } from '../../src/index.ts';

type Row = [number, number, number]; // key, window start, count
const COUNT = 6_000;

function build(env: StreamEnvironment, sink: TransactionalCollectSink<Row>, rate?: number): void {
  env
    .fromGenerator((i) => ({ key: i % 5, at: i * 10 }), { count: COUNT, seed: 1, ratePerSecond: rate })
    .setParallelism(1)
    // At the environment's parallelism: the source's records are spread over its subtasks.
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<{ key: number; at: number }>(100).withTimestampAssigner((e) => e.at))
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(1_000))
    .aggregate<number, number, Row>({ createAccumulator: () => 0, add: (_e, n) => n + 1, getResult: (n) => n, merge: (a, b) => a + b }, (key, [n], { window }, out) => out.emit([key, window.start, n!], window.end - 1))
    .uid('counts')
    .sinkTo(sink)
    .uid('sink');
}

test('regression: a savepoint restored at another parallelism when the timestamps operator runs parallel to its source (it failed: "timestamps keeps state that cannot be redistributed")', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'examples-ts-rescale-'));
  try {
    const options: EnvironmentOptions = { snapshotStore: new DirectorySnapshotStore(dir), checkpointing: { intervalMs: 2 ** 31 - 1 } };
    const first = new TransactionalCollectSink<Row>();
    const env1 = StreamEnvironment.create({ parallelism: 2, ...options });
    build(env1, first, 1_500); // slow enough that the savepoint completes long before the input ends
    const job1 = env1.executeAsync('ts-rescale');
    while (job1.metrics().recordsIn < COUNT / 10) await new Promise((r) => setTimeout(r, 10));
    const savepoint = await job1.savepoint();
    await job1.cancel();
    await job1.done.then(() => assert.unreachable('stopped'), (e) => assert.instance(e, JobCancelledError));

    const second = new TransactionalCollectSink<Row>();
    const env2 = StreamEnvironment.create({ parallelism: 3, ...options, restoreFrom: savepoint });
    build(env2, second);
    await env2.execute('ts-rescale');

    const expected: string[] = [];
    for (let w = 0; w < (COUNT * 10) / 1_000; w++) for (let k = 0; k < 5; k++) expected.push(JSON.stringify([k, w * 1_000, 20]));
    assert.ok(first.committed.length > 0 && second.committed.length > 0, 'both runs committed windows');
    assert.equal([...first.committed, ...second.committed].map((r) => JSON.stringify(r)).sort(), expected.sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
