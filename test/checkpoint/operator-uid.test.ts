import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamEnvironment, TransactionalCollectSink, MemorySnapshotStore, InvalidJobError } from '../../src/index.ts';
import { makeEvent, events, compareByKey, runningSums, type Event } from '../runtime/fixtures.ts';

const COUNT = 120_000;
const SEED = 12;

/** Running sums per key, one output per input: the reference of every job below. */
const reference = (): Event[] => runningSums(COUNT, SEED, 20);

type Savepoint = Awaited<ReturnType<ReturnType<StreamEnvironment['executeAsync']>['savepoint']>>;
const sum = (a: Event, b: Event): Event => ({ i: b.i, key: a.key, value: a.value + b.value });

/** The seeded input and a map, both at parallelism 1 throughout: per key, records arrive in index order, as the reference takes them. */
function input(env: StreamEnvironment) {
  return env
    .fromGenerator((i, r) => makeEvent(i, r, 20), { count: COUNT, seed: SEED, ratePerSecond: 1_200_000 })
    .setParallelism(1)
    .map((e) => e, 'copy')
    .setParallelism(1);
}

/** Version 1: the keyed sum at parallelism 2, chained with the sink. */
function version1(store: MemorySnapshotStore, sink: TransactionalCollectSink<Event>) {
  const env = StreamEnvironment.create({ parallelism: 2, snapshotStore: store, checkpointing: { intervalMs: 60_000 } });
  input(env)
    .keyBy((e) => e.key)
    .reduce(sum, 'sum')
    .uid('sums')
    .sinkTo(sink);
  return env.executeAsync('evolving');
}

/** Version 2: the sum renamed and at parallelism 3, an operator added after it: its chain has neither its old name nor its old operators. */
function version2(store: MemorySnapshotStore, sink: TransactionalCollectSink<Event>, restoreFrom: Savepoint, options: { uid?: string; allowNonRestoredState?: boolean } = {}) {
  const env = StreamEnvironment.create({ parallelism: 3, snapshotStore: store, checkpointing: { intervalMs: 60_000 }, restoreFrom, allowNonRestoredState: options.allowNonRestoredState });
  input(env)
    .keyBy((e) => e.key)
    .reduce(sum, 'running sum')
    .uid(options.uid ?? 'sums')
    .map((e) => e, 'identity')
    .sinkTo(sink);
  return env.executeAsync('evolving');
}

async function savepointOfVersion1(store: MemorySnapshotStore, sink: TransactionalCollectSink<Event>): Promise<Savepoint> {
  const job = version1(store, sink);
  // The savepoint must hold state: taken once records went through (the generator is rate-limited).
  while (sink.committed.length === 0 && job.metrics().recordsIn < 10_000) await new Promise((r) => setImmediate(r));
  const savepoint = await job.savepoint();
  await job.cancel();
  return savepoint;
}

test('a savepoint restores into a job whose operators were renamed, re-chained and rescaled: the keyed state follows its uid, results equal the reference', async () => {
  const store = new MemorySnapshotStore();
  const first = new TransactionalCollectSink<Event>();
  const savepoint = await savepointOfVersion1(store, first);
  const second = new TransactionalCollectSink<Event>();
  await version2(store, second, savepoint).done;
  assert.ok(first.committed.length > 0 && first.committed.length < COUNT, `the savepoint was taken mid-run (${first.committed.length} committed before it)`);
  const cmp = compareByKey([...first.committed, ...second.committed], reference(), (e) => e.key, (e) => `${e.i}:${e.value}`);
  assert.equal(cmp, { lost: 0, duplicated: 0, mismatch: undefined });
});

test('state no operator claims fails the restore naming its uid, unless allowNonRestoredState (then the operator starts empty)', async () => {
  const store = new MemorySnapshotStore();
  const savepoint = await savepointOfVersion1(store, new TransactionalCollectSink<Event>());
  const error = await version2(store, new TransactionalCollectSink<Event>(), savepoint, { uid: 'totals' }).done.then(
    () => undefined,
    (e: Error) => e,
  );
  assert.ok(error, 'the restore failed');
  assert.match(error!.message, /holds state of operator 'sums', which this job no longer has/);
  const dropped = new TransactionalCollectSink<Event>();
  await version2(store, dropped, savepoint, { uid: 'totals', allowNonRestoredState: true }).done;
  const firstSeen = new Map<string, Event>();
  for (const e of dropped.committed) if (!firstSeen.has(e.key)) firstSeen.set(e.key, e);
  const input = events(COUNT, SEED, 20);
  const fresh = [...firstSeen.values()].filter((e) => e.value === input[e.i]!.value);
  assert.is(fresh.length, firstSeen.size, 'every key started from an empty sum');
});

test('two operators with the same uid are refused when the job starts', () => {
  const env = StreamEnvironment.create();
  env
    .fromCollection([1, 2, 3])
    .map((x) => x)
    .uid('same')
    .map((x) => x + 1)
    .uid('same')
    .sinkTo(new TransactionalCollectSink<number>());
  assert.throws(() => env.executeAsync('dup'), (e: Error) => e instanceof InvalidJobError && /uid 'same' is given to two operators/.test(e.message));
});

test.run();
