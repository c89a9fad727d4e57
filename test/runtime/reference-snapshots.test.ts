import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamEnvironment, CollectSink, DirectorySnapshotStore, InspectionBus, JobFailedError, WeirError, type SnapshotStore } from '../../src/index.ts';
import { makeEvent, compareByKey, runningSums, events, type Event } from './fixtures.ts';

// Local snapshots of a running reduce whose values are only ever replaced are kept by reference
// (no encoding) when the store is in memory; a reduce that changes its accumulator in place keeps
// the encoded snapshots. Either way a restarted actor must give exactly the reference output.

const count = 200_000;
const seed = 21;

/**
 * Runs source → keyed running reduce → sink with crashes at the given reduce calls; counts
 * snapshots by kind. The reduce has an actor of its own (it replays its input from its log)
 * unless `chained` (at parallelism 1 it joins the source's chain, which reads again instead).
 */
async function run(reduce: (a: Event, b: Event) => Event, store?: SnapshotStore, chained = false) {
  const inspection = new InspectionBus();
  const snapshots = { byReference: 0, encoded: 0 };
  const actors = new Set<string>();
  inspection.subscribe((e) => {
    if (e.type === 'actor.snapshot' && e.actor.includes('sum')) {
      actors.add(e.actor);
      e.byReference ? snapshots.byReference++ : snapshots.encoded++;
    }
  });
  const env = StreamEnvironment.create({ inspection, snapshotEvery: 4, sourceReplayLimit: 4, snapshotStore: store, supervision: { maxRestarts: 20, withinMs: 60_000, backoff: { initialMs: 1, maxMs: 2 } } });
  const sink = new CollectSink<Event>();
  const sums = env
    .fromGenerator((i, r) => makeEvent(i, r), { count, seed })
    .keyBy((e) => e.key)
    .reduce(reduce, 'sum');
  if (!chained) sums.disableChaining();
  sums.sinkTo(sink);
  const result = await env.execute('reference-snapshots');
  return { sink, result, snapshots, actors: [...actors] };
}

/** A reduce that fails once at each of `crashAt` (record indexes). */
function crashing(crashAt: Set<number>, body: (a: Event, b: Event) => Event) {
  return (a: Event, b: Event): Event => {
    if (crashAt.delete(b.i)) throw new Error(`injected crash at record ${b.i}`);
    return body(a, b);
  };
}

const replacing = (a: Event, b: Event): Event => ({ i: b.i, key: a.key, value: a.value + b.value });

test('a reduce that returns new values: local snapshots are kept by reference and restarts give the reference output', async () => {
  const crashAt = new Set([30_000, 30_001, 90_000, 150_000, 199_000]);
  const { sink, result, snapshots } = await run(crashing(crashAt, replacing));
  assert.equal(compareByKey(sink.values, runningSums(count, seed), (e) => e.key, (e) => `${e.i}:${e.value}`), { lost: 0, duplicated: 0, mismatch: undefined });
  assert.is(crashAt.size, 0, 'every crash happened');
  assert.is(result.restarts, 5);
  assert.ok(snapshots.byReference > 10, `snapshots kept by reference: ${snapshots.byReference}`);
});

test('the reduce in its source chain (parallelism 1): snapshots kept by reference, the source reads again after each crash', async () => {
  const crashAt = new Set([30_000, 30_001, 90_000, 150_000, 199_000]);
  const { sink, result, snapshots, actors } = await run(crashing(crashAt, replacing), undefined, true);
  assert.equal(actors, ['generator -> sum -> collect']);
  assert.equal(compareByKey(sink.values, runningSums(count, seed), (e) => e.key, (e) => `${e.i}:${e.value}`), { lost: 0, duplicated: 0, mismatch: undefined });
  assert.is(crashAt.size, 0, 'every crash happened');
  assert.is(result.restarts, 5);
  assert.ok(snapshots.byReference > 10, `snapshots kept by reference: ${snapshots.byReference}`);
});

test('with a directory store every local snapshot is encoded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-ref-'));
  try {
    const crashAt = new Set([50_000, 120_000]);
    const { sink, snapshots } = await run(crashing(crashAt, replacing), new DirectorySnapshotStore(dir));
    assert.equal(compareByKey(sink.values, runningSums(count, seed), (e) => e.key, (e) => `${e.i}:${e.value}`), { lost: 0, duplicated: 0, mismatch: undefined });
    assert.is(snapshots.byReference, 0);
    assert.ok(snapshots.encoded > 10);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Final value per key of the seeded stream. */
function finalSums(): Map<string, number> {
  const sums = new Map<string, number>();
  for (const e of events(count, seed)) sums.set(e.key, (sums.get(e.key) ?? 0) + e.value);
  return sums;
}

test('a reduce that changes its accumulator in place: snapshots stay encoded and restarts count nothing twice', async () => {
  const crashAt = new Set([30_000, 90_000, 150_000]);
  // Each key's outputs are one object changed in place, so only its final value can be compared.
  const { sink, result, snapshots } = await run(
    crashing(crashAt, (a, b) => {
      a.value += b.value;
      return a;
    }),
  );
  assert.is(result.restarts, 3);
  assert.is(snapshots.byReference, 0);
  assert.is(sink.values.length, count);
  const last = new Map(sink.values.map((e) => [e.key, e.value]));
  assert.equal(last, finalSums());
});

test('a reduce that returns new values sharing a nested part it changes in place: snapshots stay encoded, restarts count nothing twice', async () => {
  const crashAt = new Set([30_000, 90_000, 150_000]);
  type Listed = Event & { seen?: number[] };
  // A new outer object every call, but the list inside is the accumulator's, pushed to.
  const { sink, result, snapshots } = await run(
    crashing(crashAt, (a: Listed, b) => {
      const seen = a.seen ?? [a.value];
      seen.push(b.value);
      return { i: b.i, key: a.key, value: a.value + b.value, seen } as Listed;
    }),
  );
  assert.is(result.restarts, 3);
  assert.is(snapshots.byReference, 0);
  const last = new Map(sink.values.map((e) => [e.key, (e as Listed).seen ?? [e.value]]));
  const reference = new Map<string, number[]>();
  for (const e of events(count, seed)) reference.set(e.key, [...(reference.get(e.key) ?? []), e.value]);
  assert.equal(last, reference);
});

test('a reduce that starts changing values in place after the probation: the next snapshot is encoded; a restart before it fails the job with a clear error', async () => {
  // Changes in place from call 40 000 on and crashes much later: the encoded snapshot replaced the one kept by reference.
  let calls = 0;
  const late = (crashCall: number) => (a: Event, b: Event): Event => {
    calls++;
    if (calls === crashCall) throw new Error('injected');
    if (calls < 40_000) return replacing(a, b);
    a.value += b.value;
    return a;
  };
  const later = await run(late(120_000));
  assert.is(later.result.restarts, 1);
  assert.ok(later.snapshots.byReference > 0 && later.snapshots.encoded > 1, JSON.stringify(later.snapshots));
  assert.equal(new Map(later.sink.values.map((e) => [e.key, e.value])), finalSums());

  // Crashing a few calls after the first change in place: the snapshot kept by reference may hold a changed value.
  calls = 0;
  try {
    await run(late(40_003));
    assert.unreachable('the restart must refuse the snapshot kept by reference');
  } catch (e) {
    assert.instance(e, JobFailedError);
    const cause = (e as JobFailedError).cause;
    assert.instance(cause, WeirError);
    assert.is((cause as WeirError).code, 'WEIR_LOCAL_SNAPSHOT_UNSAFE');
    assert.match((cause as WeirError).message, /changed in place/);
  }
});

test.run();
