import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeyedReduce } from '../../actors/keyed-reduce.ts';
import type { OperatorContext } from '../../src/runtime/operator.ts';
import { unpackColumn, type PackedColumn } from '../../src/state/columns.ts';
import { packValue, unpackValue } from '../../src/state/snapshot-codec.ts';

// Issue 24 (a 1M-key checkpoint under 200 ms): past 65 536 keys, a keyed reduce whose values are
// flat records of numbers keeps them in columns (no million objects for GC to mark and for a
// checkpoint to read scattered over the heap). These check that nothing changes for the user.

type Count = { k: number; n: number; note?: string };
const KEYS = 70_000;

function reducer(): KeyedReduce<Count, number> {
  const op = new KeyedReduce<Count, number>('count', (c) => c.k, (a, b) => (b.note === undefined ? { k: a.k, n: a.n + b.n } : { k: a.k, n: a.n + b.n, note: b.note }));
  op.open({ maxParallelism: 128, parallelism: 1, subtask: 0 } as OperatorContext);
  return op;
}

function feed(op: KeyedReduce<Count, number>, keys: number[], reference?: Map<number, number>, note?: string): Count[] {
  const out = { values: [] as Count[], timestamps: null };
  op.processBatch(keys.map((k) => (note === undefined ? { k, n: 1 } : { k, n: 1, note })), null, 0, out);
  if (reference) for (const k of keys) reference.set(k, (reference.get(k) ?? 0) + 1);
  return out.values;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Every key's count, by key, from the operator's snapshot (packed columns or objects). */
function counts(op: KeyedReduce<Count, number>): Map<number, number> {
  const m = new Map<number, number>();
  for (const g of op.snapshotState().groups) {
    const keys = unpackColumn(g[1] as PackedColumn) as number[];
    const values = unpackColumn(g[2] as PackedColumn) as Count[];
    keys.forEach((k, i) => m.set(k, values[i]!.n));
  }
  return m;
}

const inColumns = (op: KeyedReduce<Count, number>) => !Array.isArray(op.snapshotState().groups[0]![2]);

test('past 65 536 keys the values move into columns, and outputs, snapshots and restores stay equal to the reference', () => {
  const op = reducer();
  const reference = new Map<number, number>();
  for (let from = 0; from < 65_000; from += 1000) feed(op, range(from, from + 1000), reference);
  assert.not.ok(inColumns(op), 'objects below the threshold');
  feed(op, range(65_000, KEYS), reference);
  assert.not.ok(inColumns(op), 'a batch moves them when it starts past the threshold');
  // The next batch moves them; its outputs are the counts so far plus one.
  const out = feed(op, [5, 69_999, 5], reference);
  assert.equal(out, [{ k: 5, n: 2 }, { k: 69_999, n: 2 }, { k: 5, n: 3 }]);
  assert.ok(inColumns(op), 'the snapshot holds packed columns');
  assert.equal(counts(op), reference);
  const restored = reducer();
  restored.restoreState(unpackValue(packValue(op.snapshotState())));
  assert.ok(inColumns(restored));
  assert.equal(feed(restored, [5, 7]), feed(op, [5, 7]));
  // A delta of a few keys and a whole one kept by reference, through msgpack.
  op.clearDelta();
  feed(op, [1, 2, 1], reference);
  const delta = unpackValue(packValue(op.snapshotDelta()));
  const fromDelta = reducer();
  fromDelta.restoreState(unpackValue(packValue(restored.snapshotState())));
  fromDelta.restoreDelta(delta);
  reference.set(5, reference.get(5)! + 1);
  reference.set(7, reference.get(7)! + 1);
  assert.equal(counts(fromDelta), reference);
  const whole = reducer();
  whole.restoreDelta(op.snapshotDelta(true));
  assert.equal(counts(whole), counts(op));
});

test('a checkpoint of columns holds the state at its barrier while later batches change and add keys', () => {
  const op = reducer();
  for (let from = 0; from < KEYS; from += 1000) feed(op, range(from, from + 1000));
  feed(op, range(0, 1000));
  const atBarrier = counts(op);
  assert.ok(inColumns(op));
  const parts = op.checkpointParts(1)!;
  let step = 0;
  do feed(op, [...range(0, 2000), KEYS + step++]);
  while (parts.prepare && !parts.prepare());
  const restored = reducer();
  restored.restoreState(unpackValue(packValue({ ...parts.base, groups: parts.groups.map((g) => parts.part(g)) })));
  assert.equal(counts(restored), atBarrier);
});

test('a value of another shape after the move puts every value back into objects, losing nothing', () => {
  const op = reducer();
  const reference = new Map<number, number>();
  for (let from = 0; from < KEYS; from += 1000) feed(op, range(from, from + 1000), reference);
  feed(op, [1], reference);
  assert.ok(inColumns(op));
  // The reduce now returns a record with a string field: it cannot stay in columns.
  const out = feed(op, [3, 4, 3], reference, 'late');
  assert.equal(out, [{ k: 3, n: 2, note: 'late' }, { k: 4, n: 2, note: 'late' }, { k: 3, n: 3, note: 'late' }]);
  assert.not.ok(inColumns(op));
  assert.equal(counts(op), reference);
  assert.equal(feed(op, [70_000, 1], reference), [{ k: 70_000, n: 1 }, { k: 1, n: 3 }]);
  assert.equal(counts(op), reference);
});

test.run();
