import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SliceBlocks, type SliceColumn } from '../../actors/window/slice-blocks.ts';
import { SeededRandom } from '../../src/index.ts';

/** Slice q's column: for each slot, the string `q.slot` where the slice holds the key (about 70% of slots), else undefined. */
function sliceColumn(q: number, n: number, r: SeededRandom): SliceColumn<string> | undefined {
  if (r.next() < 0.1) return undefined; // a slice with no data
  return Array.from({ length: n }, (_, slot) => (r.next() < 0.7 ? `${q}.${slot};` : undefined));
}

/** Plain reference: each slot's concatenation over the window's slices, in slice order (concatenation is not commutative: order shows). */
function direct(first: number, B: number, n: number, column: (q: number) => SliceColumn<string> | undefined): SliceColumn<string> {
  const out: SliceColumn<string> = new Array(n).fill(undefined);
  for (let q = first; q < first + B; q++) {
    const c = column(q);
    if (c) for (let slot = 0; slot < n; slot++) if (c[slot] !== undefined) out[slot] = (out[slot] ?? '') + c[slot];
  }
  return out;
}

test('shared slice merges (two columns whose merge is the window) equal merging every slice, in slice order: consecutive firings, gaps, invalidation, keys added between firings', () => {
  const r = new SeededRandom(5);
  for (const B of [2, 3, 5, 8]) {
    const columns = new Map<number, SliceColumn<string> | undefined>();
    let n = 20;
    const blocks = new SliceBlocks<string>(B, (a, b) => a + b);
    let first = -B; // windows that start before slice 0 (negative slice numbers) too
    for (let firing = 0; firing < 400; firing++) {
      // New keys now and then: later slices have longer columns, earlier ones stay short.
      if (r.next() < 0.1) n += r.int(5);
      const last = first + B - 1;
      for (let q = first; q <= last; q++) if (!columns.has(q)) columns.set(q, sliceColumn(q, n, r));
      const column = (q: number) => {
        const c = columns.get(q);
        if (c) while (c.length < n) c.push(undefined);
        return c;
      };
      const [a, b] = blocks.window(first, n, column);
      const got = Array.from({ length: n }, (_, slot) => (a?.[slot] === undefined ? b[slot] : b[slot] === undefined ? a[slot] : a[slot]! + b[slot]!));
      assert.equal(got, direct(first, B, n, column), `B ${B}, window from slice ${first}`);
      // Mostly the next window; sometimes a gap over slices with data (the cache must not assume consecutive firings), sometimes a changed slice.
      const roll = r.next();
      if (roll < 0.05) first += 1 + r.int(2 * B);
      else first += 1;
      if (roll > 0.97) {
        const q = first + r.int(B);
        columns.set(q, sliceColumn(q + 1000, n, r));
        blocks.invalidate();
      }
    }
  }
});

test.run();
