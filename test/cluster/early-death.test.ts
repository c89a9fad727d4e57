// The 60 s recovery tail (chaos suite, final-checkpoint test): a node counted as seen only through its heartbeats, and
// its first one went out a heartbeat period after it started; acknowledgements and other control messages named no
// sender. A node that acknowledged checkpoints and died before its first heartbeat tick was never seen, so it counted
// as alive for the whole startup grace (60 s) and the job waited that long to roll back. Now every control message
// names its sender and counts as a sign of life, and the first heartbeat goes out at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectNats, CollectSink, MemorySnapshotStore, StreamEnvironment } from '../../src/index.ts';
import { startNatsServer } from '../support/nats-server.ts';
import { heldNumbers, watchControl } from './control-spy.ts';

const JOB = 'early-death';
const PREFIX = 'weir-early';
const PER_SUBTASK = 3_000;
/** The coordinator (a) beats every 100 ms and judges a node lost after 2 s of silence. */
const A_HEARTBEAT_MS = 100;
const FAIL_AFTER_MS = 2_000;
/** How many of a's own heartbeats may pass after b's death before a must have judged it lost (counted in its ticks, not in wall time). */
const BOUND = (3 * FAIL_AFTER_MS) / A_HEARTBEAT_MS;

test('a node that acknowledged checkpoints and died before its first heartbeat tick is judged lost within the heartbeat timeout; every control message names its sender, a node\'s first is its heartbeat', async () => {
  await using server = await startNatsServer();
  const [spy, ncA, ncB] = await Promise.all(['spy', 'a', 'b'].map((name) => connectNats({ servers: [server.url], name })));
  const { messages, until } = await watchControl(spy, `${PREFIX}.${JOB}.ctl`);

  let bDead = false;
  const store = new MemorySnapshotStore();
  const sinkA = new CollectSink<number>();
  const start = (nc: typeof ncA, node: string, heartbeatMs: number, sink: CollectSink<number>) => {
    // b's heartbeat period is long: it dies before its first periodic tick.
    const env = StreamEnvironment.create({
      parallelism: 2,
      snapshotStore: store,
      checkpointing: { intervalMs: 50 },
      restartStrategy: { kind: 'fixed-delay', attempts: 3, delayMs: 10 },
      cluster: { nc, node, nodes: ['a', 'b'], subjectPrefix: PREFIX, heartbeatMs, failAfterMs: FAIL_AFTER_MS, startupGraceMs: 3_600_000 },
    });
    env.fromSource(heldNumbers(PER_SUBTASK, () => bDead)).map((v) => v).sinkTo(sink);
    return env.executeAsync(JOB);
  };
  const a = start(ncA, 'a', A_HEARTBEAT_MS, sinkA);
  const b = start(ncB, 'b', 1_000, new CollectSink<number>());
  void b.done.catch(() => {});
  try {
    // b's subtask (1) acknowledged a checkpoint of the first attempt: it is part of the job. Then it dies silently.
    await until(() => messages.some((m) => m.t === 'ack' && m.attempt === 0 && m.name?.endsWith('-1') === true));
    await ncB.close();
    const deathAt = messages.length;
    bDead = true;
    const afterDeath = () => messages.slice(deathAt);
    const restartWithoutB = () => afterDeath().some((m) => m.t === 'prepare' && m.members !== undefined && !m.members.includes('b'));
    const beatsOfA = () => afterDeath().filter((m) => m.t === 'hb' && m.node === 'a').length;
    await until(() => restartWithoutB() || beatsOfA() > BOUND);
    assert.ok(restartWithoutB(), `a judged b lost within ${BOUND} of its heartbeats after b's death (it sent ${beatsOfA()} and no restart without b)`);

    const result = await a.done;
    assert.is(result.status, 'completed');
    const expected = [...Array.from({ length: PER_SUBTASK }, (_, i) => i), ...Array.from({ length: PER_SUBTASK }, (_, i) => 1_000_000 + i)];
    assert.equal([...new Set(sinkA.values)].sort((x, y) => x - y), expected, 'a ran both subtasks to their end');

    const before = messages.slice(0, deathAt);
    assert.equal(before.filter((m) => typeof m.from !== 'string'), [], 'every control message names its sender');
    for (const node of ['a', 'b']) {
      const own = before.filter((m) => m.from === node);
      assert.is(own[0]?.t, 'hb', `${node}'s first control message is its heartbeat (${JSON.stringify(own.slice(0, 3))})`);
    }
    // (a's own actors acknowledge to its coordinator in-process; b's go over NATS.)
    assert.ok(before.some((m) => m.from === 'b' && m.t === 'ack'), "b's acknowledgements name it");
  } finally {
    await a.cancel();
    await b.cancel();
    await ncA.drain().catch(() => {});
    await spy.drain();
  }
});

test.run();
