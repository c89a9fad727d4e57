import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nextRestartDelay } from '../../src/checkpoint/restart-strategy.ts';

test('fixed-delay allows its attempts, then gives up', () => {
  const s = { kind: 'fixed-delay', attempts: 2, delayMs: 50 } as const;
  assert.is(nextRestartDelay(s, [1]), 50);
  assert.is(nextRestartDelay(s, [1, 2]), 50);
  assert.is(nextRestartDelay(s, [1, 2, 3]), undefined);
});

test('exponential-delay doubles up to its maximum', () => {
  const s = { kind: 'exponential-delay', initialMs: 10, maxMs: 50 } as const;
  assert.equal([1, 2, 3, 4].map((n) => nextRestartDelay(s, Array(n).fill(0))), [10, 20, 40, 50]);
});

test('failure-rate counts failures inside the interval only', () => {
  const s = { kind: 'failure-rate', maxFailures: 2, intervalMs: 1000, delayMs: 5 } as const;
  assert.is(nextRestartDelay(s, [0, 100]), 5);
  assert.is(nextRestartDelay(s, [0, 100, 200]), undefined);
  assert.is(nextRestartDelay(s, [0, 100, 5000]), 5);
  assert.is(nextRestartDelay({ kind: 'none' }, [0]), undefined);
});

test.run();
