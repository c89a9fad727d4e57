import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseUvuSummary } from '../../scripts/uvu-summary.ts';

test('reads the counts from coloured uvu output', () => {
  const out = '\x1b[32m• • \x1b[39m (2 / 3)\n\n  Total:     3\n\x1b[32m  Passed:    2\x1b[39m\n  Skipped:   0\n  Duration:  3.5ms\n';
  assert.equal(parseUvuSummary(out), { total: 3, passed: 2, skipped: 0 });
});

test('no summary (a suite that crashed) gives undefined', () => {
  assert.is(parseUvuSummary('TypeError: boom\n    at x.ts:1:1'), undefined);
});

test.run();
