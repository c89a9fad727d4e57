import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { jetStreamSink } from '../../src/index.ts';
import { startNatsServer } from '../support/nats-server.ts';

// Found by the chaos suite (seeds 4 and 84, JetStream scenario with a nats-server restart): a commit's publish that
// failed while the commit awaited the next staged message was an unhandled rejection for that moment, and Node ended the
// node's process with an uncaught TimeoutError; the job then failed across the cluster.
test('a JetStream sink commit whose publishes fail rejects the commit, and does not end the process with an unhandled rejection', async () => {
  await using nats = await startNatsServer();
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'TARGET', subjects: ['target'] });
    const sink = jetStreamSink<string>({ connection: { servers: [nats.url] }, subject: 'target' });
    const writer = sink.createWriter(0, 1);
    await writer.open({ job: 'commit-failure', operator: 'sink', subtask: 0, parallelism: 1, clock: { now: () => 0, setTimeout: () => 0, clearTimeout: () => {} } });
    const txn = await writer.beginTransaction(1);
    // Several staged messages (one per ~512 KB) of fewer records than the commit keeps in flight: it reads the next staged
    // message while the first one's publishes are still unsettled.
    const records = Array.from({ length: 1_000 }, (_, i) => `${i}:${'x'.repeat(2_000)}`);
    await writer.write(txn, records, null);
    const handle = await writer.preCommit(txn);
    // Nothing captures the target subject any more: every publish of the commit fails (no responders).
    await jsm.streams.delete('TARGET');
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let failed: unknown;
      await Promise.resolve(writer.commit(handle)).catch((e) => (failed = e));
      assert.ok(failed, 'the commit failed');
      // Rejections are reported after the microtask queue drains: give that turn before looking.
      await new Promise((r) => setImmediate(r));
      assert.equal(unhandled.map(String), [], 'no unhandled rejection');
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await writer.close();
    }
  } finally {
    await nc.drain();
  }
});

test.run();
