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

test('mostly in-order times (the lane) mixed with earlier ones (the heap): time order, ties in insertion order, entries complete', () => {
  const h = new MinHeap<number>();
  const r = new SeededRandom(7);
  const ref: Array<[number, number]> = [];
  let clock = 0;
  let id = 0;
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 3000; i++) {
      // Mostly forward or equal (ties across lane and heap), sometimes back in time.
      const t = r.int(10) === 0 ? clock - r.int(50) : (clock += r.int(3));
      h.push(t, id);
      ref.push([t, id++]);
    }
    ref.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const listed = h.entries().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    assert.equal(listed, ref);
    for (let i = 0; i < 2500; i++) {
      assert.is(h.peekTime(), ref[0]![0]);
      assert.is(h.peekItem(), ref[0]![1]);
      assert.is(h.pop(), ref.shift()![1]);
    }
    assert.is(h.size, ref.length);
  }
  while (h.size > 0) assert.is(h.pop(), ref.shift()![1]);
  assert.is(h.pop(), undefined);
  h.push(3, -1);
  assert.is(h.pop(), -1);
});

test.run();
