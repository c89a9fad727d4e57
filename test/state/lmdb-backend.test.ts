import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamEnvironment, CollectSink, TransactionalCollectSink, MemorySnapshotStore, InspectionBus, SimulatedClock, ValueStateDescriptor, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor, AggregatingStateDescriptor, type ValueState, type ListState, type MapState, type ReducingState, type AggregatingState, type StateBackendOption } from '../../src/index.ts';
import { KeyedStateBackend } from '../../src/state/keyed-state-backend.ts';
import { stateMapsFor } from '../../src/state/backends/state-backend-option.ts';
import { makeEvent, events, compareByKey, type Event } from '../runtime/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'weir-lmdb-test-'));
/** A tiny cache, so nearly every access misses it and every batch writes back: the disk path is what runs. */
const lmdb: StateBackendOption = { kind: 'lmdb', dir, cacheEntries: 8 };

const sum = new ValueStateDescriptor<number>('sum');
const recent = new ListStateDescriptor<number>('recent');
const buckets = new MapStateDescriptor<number, number>('buckets');
const maxSeen = new ReducingStateDescriptor<number>('max', (a, b) => Math.max(a, b));
const mean = new AggregatingStateDescriptor<number, [number, number], number>('mean', { createAccumulator: () => [0, 0], add: (v, a) => [a[0] + v, a[1] + 1], getResult: (a) => a[0] / a[1], merge: (a, b) => [a[0] + b[0], a[1] + b[1]] });

/** Every kind of keyed state, changed in place (list, map) and replaced (value, reducing, aggregating): one output line per record. */
function step(e: Event, s: { sum: ValueState<number>; recent: ListState<number>; buckets: MapState<number, number>; max: ReducingState<number>; mean: AggregatingState<number, number> }): string {
  s.sum.update((s.sum.value() ?? 0) + e.value);
  s.recent.add(e.value);
  const r = s.recent.get();
  if (r.length > 3) s.recent.update(r.slice(-3));
  const b = e.value % 5;
  s.buckets.put(b, (s.buckets.get(b) ?? 0) + 1);
  if (e.value % 7 === 0) s.buckets.remove((b + 1) % 5);
  s.max.add(e.value);
  s.mean.add(e.value);
  return `${e.i}:${s.sum.value()}:${s.recent.get().join(',')}:${s.buckets.entries().sort((x, y) => x[0] - y[0]).join(';')}:${s.max.get()}:${s.mean.get()!.toFixed(3)}`;
}

/** The same computation in plain TypeScript. */
function reference(input: Event[]): Array<{ key: string; line: string }> {
  const st = new Map<string, { sum: number; recent: number[]; buckets: Map<number, number>; max: number; acc: [number, number] }>();
  return input.map((e) => {
    let s = st.get(e.key);
    if (!s) st.set(e.key, (s = { sum: 0, recent: [], buckets: new Map(), max: -Infinity, acc: [0, 0] }));
    s.sum += e.value;
    s.recent.push(e.value);
    if (s.recent.length > 3) s.recent = s.recent.slice(-3);
    const b = e.value % 5;
    s.buckets.set(b, (s.buckets.get(b) ?? 0) + 1);
    if (e.value % 7 === 0) s.buckets.delete((b + 1) % 5);
    s.max = Math.max(s.max, e.value);
    s.acc = [s.acc[0] + e.value, s.acc[1] + 1];
    return { key: e.key, line: `${e.i}:${s.sum}:${s.recent.join(',')}:${[...s.buckets].sort((x, y) => x[0] - y[0]).join(';')}:${s.max}:${(s.acc[0] / s.acc[1]).toFixed(3)}` };
  });
}

test('lmdb and heap backends give the same reads and the same snapshot, which restores into either at another parallelism', () => {
  const clock = new SimulatedClock(0);
  const make = (option: StateBackendOption, parallelism = 1, subtask = 0) => new KeyedStateBackend<string>('op', clock, 128, parallelism, subtask, stateMapsFor(option, 'op', 128));
  const heap = make('heap');
  const disk = make(lmdb);
  const states = (b: KeyedStateBackend<string>) => ({ sum: b.state<ValueState<number>>(sum), recent: b.state<ListState<number>>(recent), buckets: b.state<MapState<number, number>>(buckets), max: b.state<ReducingState<number>>(maxSeen), mean: b.state<AggregatingState<number, number>>(mean) });
  const hs = states(heap);
  const ds = states(disk);
  const input = events(5_000, 3, 300);
  for (let n = 0; n < input.length; n++) {
    const e = input[n]!;
    heap.currentKey = disk.currentKey = e.key;
    assert.is(step(e, ds), step(e, hs), `record ${n}`);
    if (n % 100 === 99) disk.endBatch();
  }
  assert.is(disk.keyCount(), heap.keyCount());
  const norm = (s: ReturnType<KeyedStateBackend<string>['snapshot']>) => JSON.stringify(s.groups.sort((a, b) => a[0] - b[0]).map(([g, p]) => [g, p.columns!.map(([n, ks, vs]) => [n, ks.map((k, i) => [k, vs[i] instanceof Map ? [...(vs[i] as Map<unknown, unknown>)] : vs[i]]).sort()]).sort()]));
  const snap = disk.snapshot();
  assert.is(norm(snap), norm(heap.snapshot()));
  // Rescale: the lmdb snapshot split over three subtasks, one of them on the heap, reads as the original.
  const parts = [make(lmdb, 3, 0), make('heap', 3, 1), make(lmdb, 3, 2)];
  for (const p of parts) p.restore([snap]);
  assert.is(parts.reduce((n, p) => n + p.keyCount(), 0), heap.keyCount());
  for (const key of new Set(input.map((e) => e.key))) {
    heap.currentKey = key;
    const owner = parts.find((p) => p.snapshot().groups.some(([, g]) => g.columns!.some(([, ks]) => ks.includes(key))))!;
    owner.currentKey = key;
    const os = states(owner);
    assert.equal([os.sum.value(), os.recent.get(), os.buckets.entries(), os.max.get(), os.mean.get()], [hs.sum.value(), hs.recent.get(), hs.buckets.entries(), hs.max.get(), hs.mean.get()]);
  }
  for (const b of [heap, disk, ...parts]) b.close();
});

test('lmdb keys must be primitive: a clear error names the operator', () => {
  const b = new KeyedStateBackend<unknown>('join', new SimulatedClock(0), 128, 1, 0, stateMapsFor(lmdb, 'join', 128));
  b.currentKey = { a: 1 };
  assert.throws(() => b.state<ValueState<number>>(sum).update(1), /operator 'join'.*string, number or boolean keys/);
  b.close();
  assert.throws(() => stateMapsFor('rocks' as StateBackendOption, 'x', 128), /stateBackend/);
});

/** The keyed job under test: every state kind in a process function, its output lines per key. */
function job(env: StreamEnvironment, count: number, seed: number, sink: TransactionalCollectSink<{ key: string; line: string }> | CollectSink<{ key: string; line: string }>, onRecord: (e: Event) => void = () => {}, ratePerSecond = 1_000_000) {
  env
    .fromGenerator((i, r) => makeEvent(i, r, 200), { count, seed, ratePerSecond })
    .setParallelism(1)
    .keyBy((e) => e.key)
    .process<{ key: string; line: string }>({
      processElement(e, ctx, out) {
        onRecord(e);
        const line = step(e, { sum: ctx.getState(sum), recent: ctx.getListState(recent), buckets: ctx.getMapState(buckets), max: ctx.getReducingState(maxSeen), mean: ctx.getAggregatingState(mean) });
        out.collect({ key: e.key, line });
      },
    })
    .uid('state')
    .sinkTo(sink);
}

for (const backend of ['heap', lmdb] as StateBackendOption[]) {
  const name = typeof backend === 'string' ? backend : backend.kind;
  test(`${name}: a job-level crash after checkpoints rolls back and the committed output equals the reference`, async () => {
    const count = 40_000;
    const seed = 11;
    const inspection = new InspectionBus();
    let completed = 0;
    let crashed = false;
    inspection.subscribe((e) => {
      if (e.type === 'checkpoint.completed') completed++;
    });
    const sink = new TransactionalCollectSink<{ key: string; line: string }>();
    const env = StreamEnvironment.create({ inspection, stateBackend: backend, snapshotStore: new MemorySnapshotStore(), checkpointing: { intervalMs: 5 }, supervision: { maxRestarts: 0 }, restartStrategy: { kind: 'fixed-delay', attempts: 2, delayMs: 1 } });
    // A slow source, so that two checkpoints complete before the input ends even on a loaded machine (lmdb's are packed after the barrier, in slices).
    job(env, count, seed, sink, (e) => {
      if (!crashed && completed >= 2 && e.i > 10_000) {
        crashed = true;
        throw new Error('injected crash');
      }
    }, 20_000);
    const result = await env.execute(`lmdb-crash-${name}`);
    assert.ok(crashed, 'the crash was injected');
    assert.is(result.jobRestarts, 1);
    const cmp = compareByKey(sink.committed, reference(events(count, seed, 200)), (x) => x.key, (x) => x.line);
    assert.equal(cmp, { lost: 0, duplicated: 0, mismatch: undefined });
  });
}

test('lmdb: one-actor restarts from local snapshots that are read views of the database (no deltas): output equals the reference', async () => {
  const count = 40_000;
  const seed = 3;
  const crashAt = new Set([4_000, 17_000, 29_000]);
  const snapshotBytes: number[] = [];
  const inspection = new InspectionBus();
  inspection.subscribe((e) => {
    if (e.type === 'actor.snapshot' && e.actor.startsWith('keyed-process')) snapshotBytes.push(e.bytes);
  });
  const sink = new CollectSink<{ key: string; line: string }>();
  const env = StreamEnvironment.create({ inspection, stateBackend: lmdb, snapshotEvery: 4, supervision: { maxRestarts: 10, withinMs: 60_000, backoff: { initialMs: 1, maxMs: 2 } } });
  job(env, count, seed, sink, (e) => {
    if (crashAt.delete(e.i)) throw new Error(`injected crash at ${e.i}`);
  });
  const result = await env.execute('lmdb-local-views');
  assert.is(result.restarts, 3);
  // A view holds no entries: every local snapshot is a few hundred bytes, while 200 keys' lists and maps take kilobytes.
  assert.ok(snapshotBytes.length > 10 && Math.max(...snapshotBytes) < 1024, `local snapshots are views: ${snapshotBytes.length}, at most ${Math.max(...snapshotBytes)} bytes`);
  const cmp = compareByKey(sink.values, reference(events(count, seed, 200)), (x) => x.key, (x) => x.line);
  assert.equal(cmp, { lost: 0, duplicated: 0, mismatch: undefined });
});

test('savepoint of an lmdb job at parallelism 2 → lmdb at 3 → heap at 1: per-key output equals the reference', async () => {
  const count = 30_000;
  const seed = 5;
  const store = new MemorySnapshotStore();
  type Meta = Awaited<ReturnType<ReturnType<StreamEnvironment['executeAsync']>['savepoint']>>;
  let seen = 0;
  const run = (parallelism: number, backend: StateBackendOption, sink: TransactionalCollectSink<{ key: string; line: string }>, restoreFrom?: Meta) => {
    seen = 0;
    const env = StreamEnvironment.create({ parallelism, stateBackend: backend, snapshotStore: store, checkpointing: { intervalMs: 60_000 }, restoreFrom });
    job(env, count, seed, sink, () => seen++);
    return env.executeAsync('lmdb-rescaled');
  };
  const until = async (n: number) => {
    while (seen < n) await new Promise((r) => setImmediate(r));
  };
  const sinks = [0, 1, 2].map(() => new TransactionalCollectSink<{ key: string; line: string }>());
  const a = run(2, lmdb, sinks[0]!);
  await until(5_000);
  const sp1 = await a.savepoint();
  await a.cancel();
  const b = run(3, lmdb, sinks[1]!, sp1);
  await until(5_000);
  const sp2 = await b.savepoint();
  await b.cancel();
  await run(1, 'heap', sinks[2]!, sp2).done;
  const cmp = compareByKey(sinks.flatMap((s) => s.committed), reference(events(count, seed, 200)), (x) => x.key, (x) => x.line);
  assert.equal(cmp, { lost: 0, duplicated: 0, mismatch: undefined });
});

test('closed lmdb backends remove their working files', async () => {
  for (let i = 0; i < 100 && readdirSync(dir).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(readdirSync(dir), []);
  rmSync(dir, { recursive: true, force: true });
});

test.run();
