import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamEnvironment, CollectSink, type Source, type SourceReader } from '../../src/index.ts';

/** A source whose readers' open waits for `release`; it counts readers that opened and were not closed after. */
function slowOpeningSource(entered: () => void): Source<number> & { release(): void; opened: number; leaked(): number } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const open = new Set<number>();
  const source = {
    name: 'slow-open',
    opened: 0,
    release: () => release(),
    leaked: () => open.size,
    createReader: (subtask: number): SourceReader<number> => ({
      open: async () => {
        entered();
        await gate;
        source.opened++;
        open.add(subtask);
      },
      read: () => -1,
      snapshot: () => 0,
      restore: () => {},
      close: () => {
        open.delete(subtask);
      },
    }),
  };
  return source;
}

// Found by the chaos suite (seed 4, JetStream scenario): a cluster restart cancelled a run whose JetStream source was
// still connecting; the job closed its actors before the open finished, and went on starting the rest, so their NATS
// connections were never closed and the node's process never exited after its job completed.
test('a job cancelled while its sources are still opening closes the reader that was opening and starts no other (a node process hung after its job completed)', async () => {
  const env = StreamEnvironment.create({ parallelism: 1 });
  let entered!: () => void;
  const opening = new Promise<void>((r) => (entered = r));
  const a = slowOpeningSource(entered);
  const b = slowOpeningSource(entered);
  env.fromSource(a).union(env.fromSource(b)).sinkTo(new CollectSink<number>());
  const job = env.executeAsync('cancel-while-opening');
  await opening;
  const cancelled = job.cancel();
  a.release();
  b.release();
  await cancelled;
  await job.done.catch(() => {});
  assert.is(a.opened + b.opened, 1, 'only the reader that was opening when the job was cancelled opened');
  assert.is(a.leaked() + b.leaked(), 0, 'it was closed after its open finished');
});

test.run();
