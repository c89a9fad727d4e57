import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamEnvironment, TransactionalCollectSink, MemorySnapshotStore, ValueStateDescriptor, ListStateDescriptor, type CheckpointMetadata, type StateBackendOption } from '../../src/index.ts';

/** 20k distinct keys first, then only three hot keys: after the first checkpoint little changes. */
const KEYS = 20_000;
const COUNT = 120_000;
const dir = mkdtempSync(join(tmpdir(), 'weir-ckpt-parts-'));
const lmdb: StateBackendOption = { kind: 'lmdb', dir, cacheEntries: 256 };
const keyOf = (i: number) => (i < KEYS ? i : i % 3);
const sum = new ValueStateDescriptor<number>('sum');
const last = new ListStateDescriptor<number>('last');
interface Out { i: number; key: number; line: string }

/** Per record: the key's running sum and its last three indexes, as a plain loop. */
function reference(withList: boolean): Out[] {
  const state = new Map<number, { sum: number; last: number[] }>();
  const out: Out[] = [];
  for (let i = 0; i < COUNT; i++) {
    const key = keyOf(i);
    const s = state.get(key) ?? { sum: 0, last: [] };
    s.sum += i;
    s.last = [...s.last, i].slice(-3);
    state.set(key, s);
    out.push({ i, key, line: withList ? `${s.sum}:${s.last.join(',')}` : `${s.sum}` });
  }
  return out;
}

/** With the heap backend, a number per key only: list values (changed in place) make the heap checkpoint pack at its barrier instead. */
function start(backend: StateBackendOption, store: MemorySnapshotStore, parallelism: number, sink: TransactionalCollectSink<Out>, onRecord: () => void, restoreFrom?: CheckpointMetadata) {
  const withList = backend !== 'heap';
  const env = StreamEnvironment.create({ parallelism, stateBackend: backend, snapshotStore: store, checkpointing: { intervalMs: 2 ** 31 - 1, retain: 1 }, restoreFrom });
  env
    .fromGenerator((i) => i, { count: COUNT, ratePerSecond: 100_000 })
    .setParallelism(1)
    .keyBy(keyOf)
    .process<Out>({
      processElement(i, ctx, out) {
        onRecord();
        const s = ctx.getState(sum);
        s.update((s.value() ?? 0) + i);
        if (!withList) return out.collect({ i, key: keyOf(i), line: `${s.value()}` });
        const l = ctx.getListState(last);
        l.update([...l.get(), i].slice(-3));
        out.collect({ i, key: keyOf(i), line: `${s.value()}:${l.get().join(',')}` });
      },
    })
    .uid('sums')
    .sinkTo(sink);
  return env.executeAsync('lmdb-incremental');
}

const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setImmediate(r));
};

for (const backend of [lmdb, 'heap'] as StateBackendOption[]) {
const name = typeof backend === 'string' ? backend : backend.kind;
test(`${name}: process() state checkpoints by key group (lmdb: read from a view): a small change writes little, and a restore of the chain at another parallelism is exact`, async () => {
  const store = new MemorySnapshotStore();
  const first = new TransactionalCollectSink<Out>();
  let seen = 0;
  const job = start(backend, store, 1, first, () => seen++);
  await until(() => seen >= KEYS + 1_000);
  const next = async () => {
    const from = seen;
    await until(() => seen >= from + 1_000);
    return job.checkpoint();
  };
  const c1 = await job.checkpoint();
  const c2 = await next();
  const c3 = await next();
  // The first checkpoint writes every key group; the next ones only the groups of the three hot keys (the rest of their bytes: the sink's open transaction).
  const writtenBy = (c: CheckpointMetadata) => c.shared!.filter((k) => k.endsWith(`-chk${String(c.id).padStart(6, '0')}`)).length;
  assert.equal([writtenBy(c1), writtenBy(c2), writtenBy(c3)], [128, 3, 3]);
  assert.ok(c1.bytes > 5 * c2.bytes && c1.bytes > 5 * c3.bytes, `bytes written: ${c1.bytes}, ${c2.bytes}, ${c3.bytes}`);
  assert.ok(c3.shared!.some((k) => k.endsWith(`-chk${String(c1.id).padStart(6, '0')}`)), 'the newest checkpoint references key groups written by the first');
  await job.cancel();
  const second = new TransactionalCollectSink<Out>();
  await start(backend, store, 2, second, () => {}, c3).done;
  const expected = reference(backend !== 'heap');
  const byIndex = new Array<string | undefined>(COUNT);
  let duplicated = 0;
  for (const r of [...first.committed, ...second.committed]) {
    if (byIndex[r.i] !== undefined) duplicated++;
    byIndex[r.i] = r.line;
  }
  assert.is(duplicated, 0);
  assert.is(byIndex.filter((line, i) => line !== expected[i]!.line).length, 0, 'every output equals the reference');
});
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
