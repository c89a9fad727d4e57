import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keyGroupOf, keyGroupRangeForOperator, operatorIndexForKeyGroup } from '../../src/state/key-groups.ts';

test('key groups are stable, in range and spread evenly', () => {
  const counts = new Array(128).fill(0);
  for (let i = 0; i < 128_000; i++) counts[keyGroupOf(`user-${i}`, 128)]++;
  assert.ok(Math.min(...counts) > 700 && Math.max(...counts) < 1300, `uneven: ${Math.min(...counts)}..${Math.max(...counts)}`);
  assert.is(keyGroupOf('user-1', 128), keyGroupOf('user-1', 128));
  assert.is(keyGroupOf([1, 'a'], 128), keyGroupOf([1, 'a'], 128));
  assert.is(keyGroupOf({ b: 1, a: 2 }, 128), keyGroupOf({ a: 2, b: 1 }, 128));
  for (const k of [0, -5, 3.5, 10n, true, null, 'x']) {
    const g = keyGroupOf(k, 128);
    assert.ok(g >= 0 && g < 128);
  }
});

test('ranges of subtasks cover every key group exactly once and agree with operatorIndexForKeyGroup', () => {
  for (const p of [1, 2, 3, 7, 128]) {
    let next = 0;
    for (let s = 0; s < p; s++) {
      const { start, end } = keyGroupRangeForOperator(128, p, s);
      assert.is(start, next);
      for (let g = start; g <= end; g++) assert.is(operatorIndexForKeyGroup(128, p, g), s);
      next = end + 1;
    }
    assert.is(next, 128);
  }
  assert.throws(() => keyGroupRangeForOperator(128, 0, 0), /parallelism/);
});

test.run();
