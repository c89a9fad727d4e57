// Chaos seed 8 (file-2pc): node b's part failed (a throw with a two-phase-commit sink rolls the job back) before node a,
// the coordinator, had subscribed to the control subject. b's one `failed` message (core NATS, at most once) was lost,
// b went on heartbeating, and the job stalled until the harness killed it. Now a failed part repeats `failed` on every
// heartbeat until a restart is prepared.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectNats, TransactionalCollectSink, MemorySnapshotStore, StreamEnvironment } from '../../src/index.ts';
import { startNatsServer } from '../support/nats-server.ts';
import { heldNumbers, watchControl } from './control-spy.ts';

const JOB = 'lost-failed';
const PREFIX = 'weir-lost-failed';
const PER_SUBTASK = 2_000;
/** Both nodes beat every 100 ms and judge a node lost after 2 s of silence. */
const A_HEARTBEAT_MS = 100;
const FAIL_AFTER_MS = 2_000;
/** How many of a's own heartbeats may pass before it must have restarted the job (counted in its ticks, not in wall time). */
const BOUND = (3 * FAIL_AFTER_MS) / A_HEARTBEAT_MS;

test("a node whose part failed before the coordinator subscribed repeats its 'failed' until the job restarts: the job completes with every record once", async () => {
  await using server = await startNatsServer();
  const [spy, ncA, ncB] = await Promise.all(['spy', 'a', 'b'].map((name) => connectNats({ servers: [server.url], name })));
  const { messages, until } = await watchControl(spy, `${PREFIX}.${JOB}.ctl`);
  const store = new MemorySnapshotStore();
  let thrown = false;
  const start = (nc: typeof ncA, node: string, sink: TransactionalCollectSink<number>) => {
    const env = StreamEnvironment.create({
      parallelism: 2,
      snapshotStore: store,
      checkpointing: { intervalMs: 50 },
      restartStrategy: { kind: 'fixed-delay', attempts: 3, delayMs: 10 },
      cluster: { nc, node, nodes: ['a', 'b'], subjectPrefix: PREFIX, heartbeatMs: A_HEARTBEAT_MS, failAfterMs: FAIL_AFTER_MS },
    });
    env
      .fromSource(heldNumbers(PER_SUBTASK, () => true))
      .map((v) => {
        // Subtask 1 (node b) fails on its first record, once: its 2PC sink makes that a job rollback.
        if (v >= 1_000_000 && !thrown) {
          thrown = true;
          throw new Error('injected failure on b before a started');
        }
        return v;
      })
      .sinkTo(sink);
    return env.executeAsync(JOB);
  };
  const sinkA = new TransactionalCollectSink<number>();
  const sinkB = new TransactionalCollectSink<number>();
  const b = start(ncB, 'b', sinkB);
  void b.done.catch(() => {});
  // b's part failed and said so while nobody coordinated: that one message is gone.
  await until(() => messages.some((m) => m.t === 'failed' && m.from === 'b'));
  const a = start(ncA, 'a', sinkA);
  void a.done.catch(() => {});
  try {
    const startedAt = messages.length;
    const restarted = () => messages.slice(startedAt).some((m) => m.t === 'prepare');
    const beatsOfA = () => messages.slice(startedAt).filter((m) => m.t === 'hb' && m.node === 'a').length;
    await until(() => restarted() || beatsOfA() > BOUND);
    assert.ok(restarted(), `a restarted the job after b's failure (it sent ${beatsOfA()} heartbeats and no prepare)`);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    assert.is(ra.status, 'completed');
    assert.is(rb.status, 'completed');
    const got = [...sinkA.committed, ...sinkB.committed].sort((x, y) => x - y);
    const expected = [...Array.from({ length: PER_SUBTASK }, (_, i) => i), ...Array.from({ length: PER_SUBTASK }, (_, i) => 1_000_000 + i)];
    assert.equal(got, expected, 'every record committed once');
  } finally {
    await a.cancel();
    await b.cancel();
    await Promise.all([ncA, ncB].map((nc) => nc.drain().catch(() => {})));
    await spy.drain();
  }
});

test.run();
