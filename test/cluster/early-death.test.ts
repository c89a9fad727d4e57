// The 60 s recovery tail (chaos suite, final-checkpoint test): a node counted as seen only through its heartbeats, and
// its first one went out a heartbeat period after it started; acknowledgements and other control messages named no
// sender. A node that acknowledged checkpoints and died before its first heartbeat tick was never seen, so it counted
// as alive for the whole startup grace (60 s) and the job waited that long to roll back. Now every control message
// names its sender and counts as a sign of life, and the first heartbeat goes out at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectNats, CollectSink, MemorySnapshotStore, StreamEnvironment, type Source, type SourceReader } from '../../src/index.ts';
import { startNatsServer } from '../support/nats-server.ts';

const JOB = 'early-death';
const PREFIX = 'weir-early';
const PER_SUBTASK = 3_000;
/** The coordinator (a) beats every 100 ms and judges a node lost after 2 s of silence. */
const A_HEARTBEAT_MS = 100;
const FAIL_AFTER_MS = 2_000;
/** How many of a's own heartbeats may pass after b's death before a must have judged it lost (counted in its ticks, not in wall time). */
const BOUND = (3 * FAIL_AFTER_MS) / A_HEARTBEAT_MS;

type Message = { t: string; from?: string; node?: string; name?: string; attempt?: number; members?: string[] };

/**
 * Two subtasks of numbers; both hold their records until `released()`, polling as a live source does (a source waiting
 * in `whenAvailable` takes no barrier, so the wait is short and checkpoints go on meanwhile).
 */
function heldNumbers(released: () => boolean): Source<number> {
  return {
    name: 'held',
    createReader(subtask): SourceReader<number> {
      let position = 0;
      return {
        open() {},
        read(out, _ts, max) {
          if (position >= PER_SUBTASK) return -1;
          if (!released()) return 0;
          const n = Math.min(max, PER_SUBTASK - position);
          for (let i = 0; i < n; i++) out.push(subtask * 1_000_000 + position + i);
          position += n;
          return n;
        },
        whenAvailable: () => new Promise<void>((resolve) => setTimeout(resolve, 5)),
        snapshot: () => position,
        restore(p) {
          position = p as number;
        },
        close() {},
      };
    },
  };
}

test('a node that acknowledged checkpoints and died before its first heartbeat tick is judged lost within the heartbeat timeout; every control message names its sender, a node\'s first is its heartbeat', async () => {
  await using server = await startNatsServer();
  const [spy, ncA, ncB] = await Promise.all(['spy', 'a', 'b'].map((name) => connectNats({ servers: [server.url], name })));
  const messages: Message[] = [];
  let listener: (() => void) | undefined;
  spy.subscribe(`${PREFIX}.${JOB}.ctl`, {
    callback: (_e, msg) => {
      messages.push(msg.json<Message>());
      listener?.();
    },
  });
  await spy.flush();
  /** Resolves once `pred` holds for the messages seen so far. */
  const until = (pred: () => boolean) =>
    new Promise<void>((resolve) => {
      listener = () => pred() && resolve();
      listener();
    });

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
    env.fromSource(heldNumbers(() => bDead)).map((v) => v).sinkTo(sink);
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
