import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamEnvironment, type Sink } from '../../src/index.ts';

test('a sink 100x slower than its source: no mailbox exceeds its capacity and the source is throttled', async () => {
  const total = 300_000;
  const batchSize = 1024;
  const channelCapacity = 4;
  let written = 0;
  let maxLag = 0;
  let job: ReturnType<StreamEnvironment['executeAsync']> | undefined;
  const slow: Sink<number> = {
    name: 'slow',
    createWriter: () => ({
      open() {},
      write(values) {
        written += values.length;
        // How far the source ran ahead of what the sink has taken: bounded by the credits in between.
        if (job) maxLag = Math.max(maxLag, job.metrics().recordsIn - written);
        return new Promise<void>((resolve) => setImmediate(resolve));
      },
      close() {},
    }),
  };
  const env = StreamEnvironment.create({ batchSize, channelCapacity });
  env
    .fromGenerator((i) => i, { count: total })
    .map((x) => x + 1)
    .disableChaining()
    .sinkTo(slow)
    .disableChaining();
  job = env.executeAsync('backpressure');
  const result = await job.done;
  assert.is(result.recordsOut, total);
  assert.is(written, total);
  for (const a of job.metrics().actors) for (const peak of a.inputPeaks) assert.ok(peak <= a.capacity, `${a.id}: peak ${peak} > capacity ${a.capacity}`);
  // Two channels of `channelCapacity` batches, plus at most one batch held in each of the three actors.
  const bound = (2 * channelCapacity + 3) * batchSize;
  assert.ok(maxLag <= bound, `source ran ${maxLag} records ahead of the sink; bound ${bound}`);
  assert.ok(maxLag > 0);
});

test.run();
