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
  // The stateless map between them keeps no input for replay while its output waits for credit (it used to hold up to
  // replayLimit full batches, all live data for the garbage collector).
  const map = job.metrics().actors.find((a) => a.operator === 'map')!;
  assert.ok(map.replayLogPeak <= 2, `the stateless map retained ${map.replayLogPeak} input batches for replay`);
});

test('a stateless actor behind a slow receiver (its snapshots taken while output waits for credit) restarts after failures and loses or repeats nothing', async () => {
  const total = 200_000;
  const got: number[] = [];
  const slow: Sink<number> = {
    name: 'slow',
    createWriter: () => ({
      open() {},
      write(values) {
        for (const v of values) got.push(v);
        return new Promise<void>((resolve) => setImmediate(resolve));
      },
      close() {},
    }),
  };
  // Fails once at each of these records, while the slow sink keeps the map's output waiting for credit between turns.
  const failAt = new Set([5_000, 77_777, 150_001]);
  let failures = 0;
  const env = StreamEnvironment.create({ batchSize: 512, channelCapacity: 2, supervision: { maxRestarts: 10, backoff: { initialMs: 1, maxMs: 1 } } });
  env
    .fromGenerator((i) => i, { count: total })
    .map((x) => {
      if (failAt.delete(x)) {
        failures++;
        throw new Error(`injected failure at ${x}`);
      }
      return x * 2;
    })
    .disableChaining()
    .sinkTo(slow)
    .disableChaining();
  const job = env.executeAsync('stateless-restart');
  const result = await job.done;
  assert.is(failures, 3);
  assert.is(result.restarts, 3);
  assert.is(got.length, total, 'nothing lost or repeated');
  for (let i = 0; i < total; i++) if (got[i] !== i * 2) assert.unreachable(`record ${i}: got ${got[i]}, expected ${i * 2}`);
  const map = job.metrics().actors.find((a) => a.operator === 'map')!;
  assert.ok(map.backpressuredMs > 0, 'the map waited for credit');
});

test.run();
