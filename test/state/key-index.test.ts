import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeyIndex } from '../../src/state/key-index.ts';
import { SeededRandom } from '../../src/connectors/seeded-random.ts';

/** A key drawn from every kind the index treats differently: small ints (dense), huge and negative ints, fractions, NaN, -0, strings. */
function key(r: SeededRandom): unknown {
  switch (r.int(8)) {
    case 0:
    case 1:
    case 2:
      return r.int(5000);
    case 3:
      return r.int(1 << 22); // beyond the dense limit or too sparse for the table at first
    case 4:
      return -1 - r.int(50);
    case 5:
      return r.int(100) + 0.5;
    case 6:
      return [NaN, -0, 0, 2 ** 31, Number.MAX_SAFE_INTEGER][r.int(5)];
    default:
      return `k${r.int(500)}`;
  }
}

test('KeyIndex answers as a Map does under random sets and deletes of every kind of key', () => {
  const r = new SeededRandom(7);
  const index = new KeyIndex<unknown>();
  const reference = new Map<unknown, number>();
  for (let step = 0; step < 200_000; step++) {
    const k = key(r);
    const expected = reference.get(k) ?? -1;
    assert.is(index.get(k), expected, `step ${step}: get(${String(k)})`);
    if (expected < 0 && r.int(3) > 0) {
      index.set(k, step);
      reference.set(k, step);
    } else if (expected >= 0 && r.int(2) === 0) {
      index.delete(k);
      reference.delete(k);
    }
    if (step % 10_000 === 0) assert.is(index.size, reference.size, `step ${step}: size`);
  }
  for (const [k, slot] of reference) assert.is(index.get(k), slot);
  assert.is(index.size, reference.size);
});

test('KeyIndex keeps a key that went to the Map reachable after the dense table grows past it', () => {
  const index = new KeyIndex<number>();
  index.set(1, 0);
  index.set(40_000, 1); // too sparse for a table of one key: goes to the Map
  for (let k = 2; k < 5000; k++) index.set(k, k); // the table grows to cover 40 000 meanwhile
  index.set(60_000, 2);
  assert.is(index.get(40_000), 1);
  assert.is(index.get(60_000), 2);
  assert.is(index.get(39_999), -1);
  index.delete(40_000);
  assert.is(index.get(40_000), -1);
  assert.is(index.size, 5000);
});

test.run();
