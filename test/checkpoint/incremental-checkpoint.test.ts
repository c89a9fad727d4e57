import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamEnvironment, TransactionalCollectSink, MemorySnapshotStore, type CheckpointMetadata } from '../../src/index.ts';

/** 20k distinct keys first, then only three hot keys: after the first checkpoint little changes. */
const KEYS = 20_000;
const COUNT = 200_000;
interface Rec { i: number; key: number; sum: number }
const record = (i: number): Rec => ({ i, key: i < KEYS ? i : i % 3, sum: i });

function reference(): Rec[] {
  const state = new Map<number, Rec>();
  const out: Rec[] = [];
  for (let i = 0; i < COUNT; i++) {
    const r = record(i);
    const prev = state.get(r.key);
    const next = prev ? { i, key: r.key, sum: prev.sum + r.sum } : r;
    state.set(r.key, next);
    out.push(next);
  }
  return out;
}

function start(store: MemorySnapshotStore, sink: TransactionalCollectSink<Rec>, onRecord: () => void, restoreFrom?: CheckpointMetadata) {
  const env = StreamEnvironment.create({ snapshotStore: store, checkpointing: { intervalMs: 2 ** 31 - 1, retain: 1 }, restoreFrom });
  env
    .fromGenerator((i) => record(i), { count: COUNT, ratePerSecond: 300_000 })
    .keyBy((r) => r.key)
    .reduce((a, b) => {
      onRecord();
      return { i: b.i, key: a.key, sum: a.sum + b.sum };
    }, 'sum')
    .sinkTo(sink);
  return env.executeAsync('incremental');
}

const until = async (cond: () => boolean | Promise<boolean>) => {
  while (!(await cond())) await new Promise((r) => setImmediate(r));
};

test('incremental checkpoints: a small change writes little, old checkpoints drop while their referenced key groups stay, and a restore from the chain is exact', async () => {
  const store = new MemorySnapshotStore();
  const first = new TransactionalCollectSink<Rec>();
  let seen = 0;
  const job = start(store, first, () => seen++);
  await until(() => seen >= KEYS + 1_000);
  // Between checkpoints some records arrive, all on the hot keys.
  const next = async () => {
    const from = seen;
    await until(() => seen >= from + 1_000);
    return job.checkpoint();
  };
  const c1 = await job.checkpoint();
  const c2 = await next();
  const c3 = await next();
  // The first checkpoint holds every key group; the next ones only the groups of the three hot keys.
  // (10×: the later ones are mostly the actor's fixed snapshot, and the first one's integer columns are packed as Int32Arrays.)
  assert.ok(c1.bytes > 10 * c2.bytes && c1.bytes > 10 * c3.bytes, `bytes written: ${c1.bytes}, ${c2.bytes}, ${c3.bytes}`);
  const suffix = (id: number) => `-chk${String(id).padStart(6, '0')}`;
  assert.ok(c3.shared!.some((k) => k.endsWith(suffix(c1.id))), 'the newest checkpoint references key groups written by the first');
  assert.ok(c3.shared!.some((k) => k.endsWith(suffix(c3.id))), 'and key groups it wrote itself');
  // retain: 1 — the older checkpoints go, but not the blobs the newest references; blobs nothing references go.
  await until(async () => (await store.list('incremental/chk-')).every((k) => k.includes(`chk-${String(c3.id).padStart(6, '0')}`)));
  const shared = await store.list('incremental/shared/');
  const referenced = new Set(c3.shared);
  await until(async () => (await store.list('incremental/shared/')).every((k) => referenced.has(k)));
  assert.equal((await store.list('incremental/shared/')).sort(), [...referenced].sort(), `shared blobs before clean-up: ${shared.length}`);
  await job.cancel();
  const second = new TransactionalCollectSink<Rec>();
  await start(store, second, () => {}, c3).done;
  // Every record's output exactly once (one output per input record, keyed by its index), with the reference's sum.
  const expected = reference();
  const byIndex = new Array<number>(COUNT).fill(-1);
  let duplicated = 0;
  for (const r of [...first.committed, ...second.committed]) {
    if (byIndex[r.i] !== -1) duplicated++;
    byIndex[r.i] = r.sum;
  }
  assert.is(duplicated, 0);
  assert.is(byIndex.filter((sum, i) => sum !== expected[i]!.sum).length, 0, 'every output equals the reference');
});

test.run();
