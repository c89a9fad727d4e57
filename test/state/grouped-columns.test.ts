import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GroupedColumns } from '../../src/state/grouped-columns.ts';
import { unpackColumn } from '../../src/state/columns.ts';
import { keyGroupOf } from '../../src/state/key-groups.ts';
import { packValue, unpackValue } from '../../src/state/snapshot-codec.ts';
import { SeededRandom } from '../../src/index.ts';

const MAX_P = 16;

/** Regroups keys and values as a checkpoint does, packs every part through msgpack, and returns the parts and what they hold. */
function regroup(keys: unknown[], values: unknown[]) {
  const groups = new Uint16Array(keys.map((k) => keyGroupOf(k, MAX_P)));
  const c = new GroupedColumns(keys, values.slice(), groups, keys.length, MAX_P, new Uint8Array(MAX_P).fill(1));
  while (!c.prepare());
  const parts = c.present.map((g) => unpackValue(packValue(c.part(g))) as [number, any, any]);
  const entries = new Map<unknown, unknown>();
  for (const [, ks, vs] of parts) {
    const k = unpackColumn(ks);
    const v = unpackColumn(vs);
    k.forEach((key, i) => entries.set(key, v[i]));
  }
  return { parts, entries };
}

const reference = (keys: unknown[], values: unknown[]) => new Map(keys.map((k, i) => [k, values[i]]));
const random = new SeededRandom(3);
const ids = Array.from({ length: 5000 }, (_, i) => i * 7 - 9000);

test('32-bit integers are packed as Int32Arrays (half the bytes of Float64Arrays) and come back equal', () => {
  const values = ids.map((k) => ({ key: k, count: random.int(1 << 30) - (1 << 29) }));
  const { parts, entries } = regroup(ids, values);
  assert.ok(parts.every(([, k, v]) => k instanceof Int32Array && v.columns.every((c: unknown) => c instanceof Int32Array)), 'integer columns');
  assert.equal(entries, reference(ids, values));
});

test('a column widens when a later value is not a 32-bit integer: a fraction, 2^31, -0; and to plain values for a non-number', () => {
  for (const odd of [0.5, 2 ** 31, -0, -(2 ** 31) - 1]) {
    const values = ids.map((k, i) => ({ key: k, count: i === 4000 ? odd : i }));
    const { parts, entries } = regroup(ids, values);
    assert.ok(parts.every(([, , v]) => v.columns.every((c: unknown) => c instanceof Float64Array)), `widened to numbers for ${odd}`);
    assert.equal(entries, reference(ids, values));
    assert.ok(Object.is((entries.get(ids[4000]) as { count: number }).count, odd), `${odd} kept exactly`);
  }
  const plain = ids.map((k, i) => (i === 3000 ? 'three thousand' : i));
  const { parts, entries } = regroup(ids, plain);
  assert.ok(parts.every(([, , v]) => Array.isArray(v)), 'plain values');
  assert.equal(entries, reference(ids, plain));
  // Keys widen the same way, independently of values.
  const keys = ids.map((k, i) => (i === 10 ? k + 0.25 : k));
  const counts = ids.map((_, i) => i);
  const r = regroup(keys, counts);
  assert.ok(r.parts.every(([, k, v]) => k instanceof Float64Array && v instanceof Int32Array));
  assert.equal(r.entries, reference(keys, counts));
});

test.run();
