import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamEnvironment, TransactionalCollectSink, MemorySnapshotStore, DirectorySnapshotStore, InspectionBus, ValueStateDescriptor, generatorSource, type SnapshotStore, type Source } from '../../src/index.ts';
import { makeEvent, compareByKey, runningSums, type Event } from '../runtime/fixtures.ts';

const reference = (count: number, seed: number): Event[] => runningSums(count, seed, 20);

/**
 * A seeded generator that lets out records 0…`hold` and holds the rest until `open()` returns true.
 * While held it waits for the next checkpoint event (`poke`), not for a timer: a source waiting in `whenAvailable` takes
 * no barrier, so waiting there for the checkpoints themselves would stop them.
 */
function heldGenerator(count: number, seed: number, hold: number, open: () => boolean, poke: () => Promise<void>): Source<Event> {
  const inner = generatorSource((i, r) => makeEvent(i, r, 20), { count, seed });
  return {
    name: 'held-generator',
    createReader(subtask, parallelism) {
      const reader = inner.createReader(subtask, parallelism);
      // This subtask's records are indices subtask, subtask + parallelism, …: the held ones start at index hold + 1.
      const free = Math.max(0, Math.floor((hold - subtask) / parallelism) + 1);
      let position = 0;
      return {
        ...reader,
        read(out, timestamps, max) {
          const n = reader.read(out, timestamps, open() ? max : Math.max(0, Math.min(max, free - position)));
          if (n > 0) position += n;
          return n;
        },
        whenAvailable: () => (open() ? Promise.resolve() : poke()),
        restore(p) {
          reader.restore(p);
          position = p as number;
        },
      };
    },
  };
}

// The directory store writes slowly (fsync), so checkpoints are still in flight when input ends or the job fails.
for (const [storeName, makeStore] of [['memory', () => new MemorySnapshotStore()], ['directory', () => new DirectorySnapshotStore(mkdtempSync(join(tmpdir(), 'weir-rec-')))]] as Array<[string, () => SnapshotStore]>) {
test(`job-level failure after checkpoints (${storeName} store): rollback to the last checkpoint, committed output exactly once`, async () => {
  const store = makeStore();
  const count = 400_000;
  const seed = 21;
  const inspection = new InspectionBus();
  let completed = 0;
  let crashedAt = -1;
  let restartedFrom = -1;
  // Records past 50 000 wait for two completed checkpoints: the crash below always comes after them, however fast the
  // job runs (with a rate-limited generator a quick run ended, or passed 50 000, before two had completed).
  let checkpointEvent: (() => void) | undefined;
  const nextCheckpointEvent = () => new Promise<void>((resolve) => (checkpointEvent = resolve));
  inspection.subscribe((e) => {
    if (e.type === 'checkpoint.completed') completed++;
    if (e.type === 'job.restarted') restartedFrom = e.checkpointId;
    if (e.type === 'checkpoint.started' || e.type === 'checkpoint.completed' || e.type === 'checkpoint.aborted') checkpointEvent?.();
  });
  const sink = new TransactionalCollectSink<Event>();
  const env = StreamEnvironment.create({
    inspection,
    snapshotStore: store,
    checkpointing: { intervalMs: 5 },
    // No one-actor restarts: the failure escalates and the job rolls back to its checkpoint.
    supervision: { maxRestarts: 0 },
    restartStrategy: { kind: 'fixed-delay', attempts: 2, delayMs: 1 },
  });
  env
    .fromSource(heldGenerator(count, seed, 50_000, () => completed >= 2, nextCheckpointEvent))
    .keyBy((e) => e.key)
    .reduce((a, b) => {
      if (crashedAt < 0 && completed >= 2 && b.i > 50_000) {
        crashedAt = b.i;
        throw new Error('injected job-level crash');
      }
      return { i: b.i, key: a.key, value: a.value + b.value };
    }, 'sum')
    .sinkTo(sink);
  const result = await env.execute('checkpointed');
  assert.ok(crashedAt > 0, 'the crash was injected');
  assert.ok(restartedFrom >= 1, `restored from checkpoint ${restartedFrom}`);
  assert.is(result.jobRestarts, 1);
  const cmp = compareByKey(sink.committed, reference(count, seed), (e) => e.key, (e) => `${e.i}:${e.value}`);
  assert.equal(cmp, { lost: 0, duplicated: 0, mismatch: undefined });
  if (store instanceof DirectorySnapshotStore) rmSync(store.describe().replace(/^directory /, ''), { recursive: true, force: true });
});
}

test('barrier alignment over a union of two sources: checkpoints complete and results are exact', async () => {
  const count = 100_000;
  const inspection = new InspectionBus();
  let completed = 0;
  inspection.subscribe((e) => {
    if (e.type === 'checkpoint.completed') completed++;
  });
  const sink = new TransactionalCollectSink<[string, number]>();
  const env = StreamEnvironment.create({ inspection, checkpointing: { intervalMs: 2 } });
  const left = env.fromGenerator((i) => ['even', 2 * i] as [string, number], { count, ratePerSecond: 1_000_000, name: 'left' });
  const right = env.fromGenerator((i) => ['odd', 2 * i + 1] as [string, number], { count, ratePerSecond: 1_000_000, name: 'right' });
  left
    .union(right)
    .keyBy((p) => p[0])
    .reduce((a, b) => [a[0], a[1] + b[1]])
    .sinkTo(sink);
  const job = env.executeAsync('aligned');
  await job.done;
  assert.ok(completed >= 1, `completed ${completed} checkpoints`);
  const last = new Map(sink.committed.map((p) => [p[0], p[1]] as const));
  assert.is(sink.committed.length, 2 * count);
  assert.is(last.get('even'), count * (count - 1));
  assert.is(last.get('odd'), count * count);
});

test('a savepoint taken while running restores into a new job that finishes with the same output', async () => {
  const count = 200_000;
  const seed = 4;
  const store = new MemorySnapshotStore();
  const build = (sink: TransactionalCollectSink<Event>, restoreFrom?: Awaited<ReturnType<ReturnType<StreamEnvironment['executeAsync']>['savepoint']>>) => {
    const env = StreamEnvironment.create({ snapshotStore: store, checkpointing: { intervalMs: 60_000 }, restoreFrom });
    env
      .fromGenerator((i, r) => makeEvent(i, r, 20), { count, seed, ratePerSecond: 1_000_000 })
      .keyBy((e) => e.key)
      .reduce((a, b) => ({ i: b.i, key: a.key, value: a.value + b.value }), 'sum')
      .sinkTo(sink);
    return env.executeAsync('savepointed');
  };
  const first = new TransactionalCollectSink<Event>();
  const job = build(first);
  await new Promise((r) => setTimeout(r, 30));
  const savepoint = await job.savepoint();
  await job.cancel();
  const second = new TransactionalCollectSink<Event>();
  await build(second, savepoint).done;
  const all = [...first.committed, ...second.committed];
  const cmp = compareByKey(all, reference(count, seed), (e) => e.key, (e) => `${e.i}:${e.value}`);
  assert.equal(cmp, { lost: 0, duplicated: 0, mismatch: undefined });
});



test('savepoint → restore at parallelism 2 → 3 → 1: per-key results identical to the reference', async () => {
  const count = 150_000;
  const seed = 8;
  const store = new MemorySnapshotStore();
  type Meta = Awaited<ReturnType<ReturnType<StreamEnvironment['executeAsync']>['savepoint']>>;
  const run = (parallelism: number, sink: TransactionalCollectSink<Event>, restoreFrom?: Meta) => {
    const env = StreamEnvironment.create({ parallelism, snapshotStore: store, checkpointing: { intervalMs: 60_000 }, restoreFrom });
    env
      .fromGenerator((i, r) => makeEvent(i, r, 20), { count, seed, ratePerSecond: 1_500_000 })
      .setParallelism(1)
      .keyBy((e) => e.key)
      .reduce((a, b) => ({ i: b.i, key: a.key, value: a.value + b.value }), 'sum')
      .sinkTo(sink);
    return env.executeAsync('rescaled');
  };
  const sinks = [new TransactionalCollectSink<Event>(), new TransactionalCollectSink<Event>(), new TransactionalCollectSink<Event>()];
  const a = run(2, sinks[0]!);
  await new Promise((r) => setTimeout(r, 20));
  const sp1 = await a.savepoint();
  await a.cancel();
  const b = run(3, sinks[1]!, sp1);
  await new Promise((r) => setTimeout(r, 20));
  const sp2 = await b.savepoint();
  await b.cancel();
  await run(1, sinks[2]!, sp2).done;
  const all = sinks.flatMap((s) => s.committed);
  const cmp = compareByKey(all, reference(count, seed), (e) => e.key, (e) => `${e.i}:${e.value}`);
  assert.equal(cmp, { lost: 0, duplicated: 0, mismatch: undefined });
});

test('barrier alignment over connected streams (co-process with keyed state), with a job-level crash: exact sums, exactly once', async () => {
  const count = 60_000;
  const inspection = new InspectionBus();
  let completed = 0;
  inspection.subscribe((e) => {
    if (e.type === 'checkpoint.completed') completed++;
  });
  const sink = new TransactionalCollectSink<[number, number]>();
  const env = StreamEnvironment.create({ inspection, parallelism: 2, checkpointing: { intervalMs: 2 }, supervision: { maxRestarts: 0 }, restartStrategy: { kind: 'fixed-delay', attempts: 2, delayMs: 1 } });
  const sums = new ValueStateDescriptor<number>('sum', { defaultValue: 0 });
  let crashed = false;
  const left = env.fromGenerator((i) => [i % 10, 1] as [number, number], { count, ratePerSecond: 400_000, name: 'left' }).setParallelism(1);
  const right = env.fromGenerator((i) => [i % 10, 1000] as [number, number], { count, ratePerSecond: 400_000, name: 'right' }).setParallelism(1);
  left
    .connect(right)
    .keyBy((p) => p[0], (p) => p[0])
    .process<[number, number]>({
      processElement1(p, ctx, out) {
        if (!crashed && completed >= 2) {
          crashed = true;
          throw new Error('injected crash in a co-process');
        }
        const s = ctx.getState(sums);
        s.update(s.value()! + p[1]);
        out.collect([p[0], s.value()!]);
      },
      processElement2(p, ctx, out) {
        const s = ctx.getState(sums);
        s.update(s.value()! + p[1]);
        out.collect([p[0], s.value()!]);
      },
    })
    .sinkTo(sink);
  const result = await env.execute('aligned-connect');
  assert.ok(crashed && (result.jobRestarts ?? 0) >= 1, 'crashed and rolled back');
  assert.is(sink.committed.length, 2 * count, 'one committed output per input record: nothing lost or duplicated');
  const last = new Map<number, number>();
  for (const [k, v] of sink.committed) last.set(k, Math.max(last.get(k) ?? 0, v));
  for (let k = 0; k < 10; k++) assert.is(last.get(k), (count / 10) * 1001, `key ${k}`);
});

test('a transactional sink whose write throws rolls the job back (not a one-actor restart): exactly once', async () => {
  const count = 100_000;
  const seed = 8;
  const inner = new TransactionalCollectSink<Event>();
  let thrown = 0;
  let written = 0;
  const flaky = { ...inner, name: 'flaky', twoPhase: true as const, committed: inner.committed, createWriter: (s: number, p: number) => {
    const w = inner.createWriter(s);
    return { ...w, write: (txn: Parameters<typeof w.write>[0], values: Event[], ts: number[] | null) => {
      written += values.length;
      if (thrown === 0 && written > count / 2) {
        thrown++;
        throw new Error('injected sink write failure');
      }
      return w.write(txn, values, ts);
    } };
  } };
  const env = StreamEnvironment.create({ checkpointing: { intervalMs: 3 }, restartStrategy: { kind: 'fixed-delay', attempts: 2, delayMs: 1 } });
  env.fromGenerator((i, r) => makeEvent(i, r, 20), { count, seed, ratePerSecond: 1_000_000 }).keyBy((e) => e.key).reduce((a, b) => ({ i: b.i, key: a.key, value: a.value + b.value })).sinkTo(flaky);
  const result = await env.execute('flaky-2pc');
  assert.is(thrown, 1);
  assert.ok((result.jobRestarts ?? 0) >= 1, 'the job rolled back');
  const cmp = compareByKey(inner.committed, reference(count, seed), (e) => e.key, (e) => `${e.i}:${e.value}`);
  assert.equal(cmp, { lost: 0, duplicated: 0, mismatch: undefined });
});

test('minimum pause: the next checkpoint starts no sooner than minPauseMs after the previous one ended', async () => {
  const inspection = new InspectionBus();
  const events: Array<[string, number]> = [];
  inspection.subscribe((e) => {
    if (e.type === 'checkpoint.started' || e.type === 'checkpoint.completed' || e.type === 'checkpoint.aborted') events.push([e.type, performance.now()]);
  });
  const env = StreamEnvironment.create({ inspection, checkpointing: { intervalMs: 1, minPauseMs: 25 } });
  env.fromGenerator((i) => i, { count: 20_000, ratePerSecond: 100_000 }).keyBy((i) => i % 7).reduce((a, b) => a + b).sinkTo(new TransactionalCollectSink<number>());
  await env.execute('min-pause');
  const starts = events.filter((e) => e[0] === 'checkpoint.started');
  assert.ok(starts.length >= 2, `several checkpoints (${starts.length})`);
  for (let i = 1; i < events.length; i++) {
    if (events[i]![0] !== 'checkpoint.started') continue;
    const ended = events[i - 1]!;
    assert.ok(ended[0] !== 'checkpoint.started', 'one checkpoint at a time');
    assert.ok(events[i]![1] - ended[1] >= 24, `pause ${(events[i]![1] - ended[1]).toFixed(1)} ms >= 25 ms`);
  }
});

test.run();
