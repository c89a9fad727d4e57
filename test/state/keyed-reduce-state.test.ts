import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeyedReduce } from '../../actors/keyed-reduce.ts';
import type { OperatorContext } from '../../src/runtime/operator.ts';
import { keyGroupOf, keyGroupRangeForOperator } from '../../src/state/key-groups.ts';
import { packValue, unpackValue } from '../../src/state/snapshot-codec.ts';

type Count = { key: string; n: number };

function reducer(subtask = 0, parallelism = 1): KeyedReduce<Count, string> {
  const op = new KeyedReduce<Count, string>('count', (c) => c.key, (a, b) => ({ key: a.key, n: a.n + b.n }));
  op.open({ maxParallelism: 128, parallelism, subtask } as OperatorContext);
  return op;
}

function feed(op: KeyedReduce<Count, string>, keys: string[]): Count[] {
  const out = { values: [] as Count[], timestamps: null };
  op.processBatch(keys.map((key) => ({ key, n: 1 })), null, 0, out);
  return out.values;
}

const KEYS = Array.from({ length: 300 }, (_, i) => `k${i}`);

test('a running reduce restores from its snapshot plus deltas (few keys changed, then most) through msgpack', () => {
  const op = reducer();
  feed(op, KEYS);
  const full = unpackValue(packValue(op.snapshotState()));
  feed(op, ['k1', 'k2', 'k1']);
  const few = unpackValue(packValue(op.snapshotDelta()));
  feed(op, KEYS.slice(0, 250));
  const most = unpackValue(packValue(op.snapshotDelta()));

  const restored = reducer();
  restored.restoreState(full);
  restored.restoreDelta(few);
  restored.restoreDelta(most);
  assert.equal(feed(restored, ['k1', 'k2', 'k299']), feed(op, ['k1', 'k2', 'k299']));
  assert.equal(feed(restored, ['k1']), [{ key: 'k1', n: 6 }], 'k1: 1 + 2 + 1 before the snapshot, 2 after');
});

/** Every key's value, sorted by key (restores insert key group by key group: another slot order). */
function entries(op: KeyedReduce<Count, string>): string {
  const s = op.snapshotState();
  return JSON.stringify(s.groups.flatMap((g) => (g[1] as string[]).map((k, i) => [k, (g[2] as Count[])[i]!.n])).sort());
}

test('a checkpoint reads the value column as it was at its barrier while batches after it overwrite and add keys (the barrier copies nothing)', () => {
  const op = reducer();
  feed(op, KEYS);
  feed(op, KEYS.slice(0, 100));
  const atBarrier = entries(op);
  const parts = op.checkpointParts(1)!;
  // Records after the barrier, between the regrouping steps: every key changes, new keys arrive.
  let step = 0;
  do feed(op, [...KEYS, `new${step++}`]);
  while (parts.prepare && !parts.prepare());
  feed(op, KEYS);
  const restored = reducer();
  restored.restoreState(unpackValue(packValue({ ...parts.base, groups: parts.groups.map((g) => parts.part(g)) })));
  assert.is(entries(restored), atBarrier);
  assert.equal(feed(restored, ['k0', 'k299']), [{ key: 'k0', n: 3 }, { key: 'k299', n: 2 }]);
  // The next checkpoint (the capture has ended) sees the later values.
  const next = op.checkpointParts(2)!;
  while (next.prepare && !next.prepare());
  const later = reducer();
  later.restoreState({ ...next.base, groups: next.groups.map((g) => next.part(g)) });
  assert.is(entries(later), entries(op));
});

test('rescaling keeps exactly the key groups a subtask owns, from the columnar layout and from the earlier [key, value] pairs layout', () => {
  const op = reducer();
  feed(op, KEYS);
  feed(op, KEYS.slice(0, 100));
  const columnar = unpackValue(packValue(op.snapshotState())) as { maxParallelism: number; groups: Array<[number, string[], Count[]]> };
  const pairs = { maxParallelism: 128, groups: columnar.groups.map(([g, keys, values]) => [g, keys.map((k, i) => [k, values[i]])]) };
  for (const snapshot of [columnar, pairs]) {
    for (let subtask = 0; subtask < 3; subtask++) {
      const part = reducer(subtask, 3);
      part.restoreRescaled([snapshot]);
      const range = keyGroupRangeForOperator(128, 3, subtask);
      const mine = KEYS.filter((k) => keyGroupOf(k, 128) >= range.start && keyGroupOf(k, 128) <= range.end);
      assert.is(part.size, mine.length, `subtask ${subtask} holds its keys only`);
      assert.equal(feed(part, mine), mine.map((key) => ({ key, n: KEYS.indexOf(key) < 100 ? 3 : 2 })));
    }
  }
});

test.run();
