import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SimulatedClock, generatorSource, type SourceContext } from '../../src/index.ts';

/** A rate-limited generator reader on a simulated clock, opened at time 0. */
function pacedReader(ratePerSecond: number) {
  const clock = new SimulatedClock(0);
  const reader = generatorSource((i) => i, { count: 100, ratePerSecond }).createReader(0, 1);
  void reader.open({ clock, job: 'j', operator: 'gen', subtask: 0, parallelism: 1, deadLetter() {} } as SourceContext);
  return { clock, reader };
}

/** Settles pending promise callbacks (the clock's timers resolve promises). */
const settle = () => new Promise<void>((r) => setImmediate(r));

test('a rate-limited generator waits until its next record is due, not a whole interval from when it found none', async () => {
  // 10 records/s: record k may be read from (k + 1) × 100 ms on.
  const { clock, reader } = pacedReader(10);
  clock.advance(150);
  const out: number[] = [];
  assert.is(reader.read(out, null, 10), 1, 'record 0 was due at 100 ms');
  assert.is(reader.read(out, null, 10), 0, 'record 1 is due at 200 ms');
  let woke = false;
  void reader.whenAvailable!().then(() => (woke = true));
  clock.advance(50);
  await settle();
  // A wait of one record interval (100 ms) from 150 ms would hold record 1 until 250 ms.
  assert.ok(woke, 'the reader wakes at 200 ms, when record 1 falls due');
  assert.is(reader.read(out, null, 10), 1);
  assert.equal(out, [0, 1]);
});

test('the wait is at least 1 ms, and counts from the restored position after a restore', async () => {
  const { clock, reader } = pacedReader(1000);
  clock.advance(5);
  const out: number[] = [];
  assert.is(reader.read(out, null, 100), 5);
  let woke = false;
  void reader.whenAvailable!().then(() => (woke = true));
  await settle();
  assert.not.ok(woke, 'no zero-delay spin when the next record is due now');
  clock.advance(1);
  await settle();
  assert.ok(woke);
  // Restored at record 3 at 1000 ms: record 3 is due at 1001 ms.
  clock.advance(994);
  reader.restore(3);
  assert.is(reader.read(out, null, 100), 0);
  woke = false;
  void reader.whenAvailable!().then(() => (woke = true));
  clock.advance(1);
  await settle();
  assert.ok(woke);
  assert.is(reader.read(out, null, 100), 1);
  assert.is(out.at(-1), 3);
});

test.run();
