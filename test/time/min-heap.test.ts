import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MinHeap } from '../../src/time/min-heap.ts';
import { SeededRandom } from '../../src/index.ts';

test('pops in time order, ties in insertion order, interleaved with pushes (against a sorted reference)', () => {
  const h = new MinHeap<number>();
  const r = new SeededRandom(1);
  const ref: Array<[number, number]> = [];
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 200; i++) {
      const t = r.int(1000);
      h.push(t, round * 1000 + i);
      ref.push([t, round * 1000 + i]);
    }
    ref.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (let i = 0; i < 150; i++) {
      assert.is(h.peekTime(), ref[0]![0]);
      assert.is(h.pop(), ref.shift()![1]);
    }
  }
  assert.is(h.size, ref.length);
  while (h.size > 0) assert.is(h.pop(), ref.shift()![1]);
  assert.is(h.pop(), undefined);
  assert.is(h.peekTime(), Infinity);
});

test.run();
