import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { weirRun } from '../cluster/cli-process.ts';

// `weir run --fail-after <ms>` sets how long a silent node counts as alive (the recovery bench
// measures what it buys: about 1.2 s from a SIGKILL to output again with 1000, 5.5 s by default).
// Checked before connecting, so no server is needed.
test('--fail-after takes milliseconds, at least 500: anything else is one clear error line', async () => {
  for (const bad of ['10', 'soon']) {
    const run = await weirRun(['run', 'test/cli/fixtures/fails-at-run.job.ts', '--status', 'off', '--nats', 'nats://127.0.0.1:1', '--node', 'a', '--nodes', 'a', '--fail-after', bad]);
    assert.is.not(run.code, 0);
    assert.match(run.output, `--fail-after must be a number of milliseconds (at least 500), got '${bad}'`);
  }
});

test.run();
