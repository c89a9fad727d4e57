import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import {
  StreamEnvironment, WatermarkStrategy, TumblingEventTimeWindows, SeededRandom, InspectionBus, MemorySnapshotStore,
  jetStreamSource, jetStreamSink, natsSource, natsSink, type SourceReader,
} from '../../src/index.ts';
import { readAll } from '../support/jetstream-read.ts';
import { startNatsServer, type NatsServerHandle } from '../support/nats-server.ts';

interface Click { page: string; at: number }
type Row = [string, number, number]; // page, window start, count

const CLICKS = 24_000;

function seededClicks(): Click[] {
  const r = new SeededRandom(23);
  return Array.from({ length: CLICKS }, (_, i) => {
    r.reset(i);
    return { page: `p${r.int(7)}`, at: i * 5 + r.int(200) };
  });
}

function reference(clicks: Click[]): string[] {
  const m = new Map<string, number>();
  for (const c of clicks) {
    const k = `${c.page}|${Math.floor(c.at / 1000) * 1000}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m].map(([k, n]) => JSON.stringify([k.split('|')[0]!, Number(k.split('|')[1]), n])).sort();
}


let server: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;

test.before(async () => {
  server = await startNatsServer({ jetstream: true });
  nc = await connect({ servers: server.url });
  jsm = await jetstreamManager(nc);
});

test.after(async () => {
  await nc?.drain();
  await server?.stop();
});

test('JetStream source → keyed windows → JetStream sink, with a crash and a failed commit: the sink stream equals the reference, nothing lost or duplicated', async () => {
  await jsm.streams.add({ name: 'CLICKS', subjects: ['clicks.>'] });
  await jsm.streams.add({ name: 'COUNTS', subjects: ['counts'], duplicate_window: 120e9 });
  const clicks = seededClicks();
  const js = jetstream(nc);
  // Two subjects, each in time order: one split per subtask.
  for (let i = 0; i < clicks.length; i += 500) await Promise.all(clicks.slice(i, i + 500).map((c, j) => js.publish(`clicks.${(i + j) % 2 ? 'b' : 'a'}`, JSON.stringify(c))));
  await js.publish('clicks.a', 'not json'); // a bad message: dead letter, the job goes on

  const inspection = new InspectionBus();
  let completed = 0;
  inspection.subscribe((e) => {
    if (e.type === 'checkpoint.completed') completed++;
  });
  let crashed = false;
  const sink = jetStreamSink<Row>({ connection: { servers: [server.url] }, subject: 'counts' });
  // The first commit of subtask 0 fails after it published: the retry must publish the same message ids.
  const createWriter = sink.createWriter;
  let commitsFailed = 0;
  sink.createWriter = (subtask, parallelism) => {
    const w = createWriter(subtask, parallelism);
    return { ...w, commit: async (h) => {
      await w.commit(h);
      if (commitsFailed === 0 && subtask === 0) {
        commitsFailed++;
        // The epoch is published, yet the job sees a failure and commits it again after recovery.
        throw new Error('injected failure after commit');
      }
    } };
  };
  const env = StreamEnvironment.create({
    parallelism: 2,
    batchSize: 256,
    inspection,
    snapshotStore: new MemorySnapshotStore(),
    checkpointing: { intervalMs: 100 },
    supervision: { maxRestarts: 0 },
    restartStrategy: { kind: 'fixed-delay', attempts: 5, delayMs: 1 },
  });
  env
    .fromSource(jetStreamSource<Click>({ connection: { servers: [server.url] }, stream: 'CLICKS', subjects: ['clicks.a', 'clicks.b'], bounded: true, timestamp: (c) => c.at }))
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Click>(300))
    .map((c) => {
      if (!crashed && completed >= 2 && c.at > CLICKS * 3) {
        crashed = true;
        throw new Error('injected crash');
      }
      return c;
    })
    .keyBy((c) => c.page)
    .window(TumblingEventTimeWindows.of(1000))
    .aggregate<number, number, Row>({ createAccumulator: () => 0, add: (_c, n) => n + 1, getResult: (n) => n, merge: (a, b) => a + b }, (page, [n], ctx, out) => out.emit([page, ctx.window.start, n!], ctx.window.end - 1))
    .sinkTo(sink);
  const result = await env.execute('js-counts');

  assert.ok(crashed, 'the crash was injected');
  assert.is(commitsFailed, 1, 'a commit failed after publishing');
  assert.ok((result.jobRestarts ?? 0) >= 1, `the job rolled back (${result.jobRestarts})`);
  const rows = (await readAll(jsm, nc, 'COUNTS')).sort();
  const expected = reference(clicks);
  const dup = rows.length - new Set(rows).size;
  const lost = expected.filter((r) => !rows.includes(r)).length;
  assert.is(dup, 0, 'no duplicates in the sink stream');
  assert.is(lost, 0, 'nothing lost');
  assert.equal(rows, expected);
  assert.is(result.deadLetterCount, 1, 'the bad message is one dead letter');
  assert.match(result.deadLetters[0]!.reason, /message \d+ on 'clicks.a' does not decode/);
  const staged = await jsm.streams.info('WEIR_STAGING');
  assert.is(staged.state.messages, 0, 'nothing left in staging');
});

test('a commit repeated after it published (here: its purge was refused) publishes the same message ids, which the stream drops', async () => {
  await jsm.streams.add({ name: 'OUT2', subjects: ['out2'], duplicate_window: 120e9 });
  await jsm.streams.add({ name: 'STAGE_NOPURGE', subjects: ['weir-staging.STAGE_NOPURGE.>'], deny_purge: true });
  const sink = jetStreamSink<number>({ connection: { servers: [server.url] }, subject: 'out2', stagingStream: 'STAGE_NOPURGE' });
  const w = sink.createWriter(0, 1);
  await w.open({ job: 'repeat', operator: 'sink', subtask: 0, parallelism: 1, clock: { now: () => 0, setTimeout: () => 0, clearTimeout: () => {} } });
  const txn = await w.beginTransaction(1);
  await w.write(txn, [...Array(300).keys()], null);
  const handle = await w.preCommit(txn);
  for (let attempt = 0; attempt < 2; attempt++) {
    const error = await Promise.resolve(w.commit(handle)).then(() => undefined, (e: unknown) => e);
    assert.ok(error, 'the purge of the staged epoch was refused, so the commit failed after publishing');
  }
  const out = await readAll(jsm, nc, 'OUT2');
  assert.equal(out, [...Array(300).keys()].map(String), 'each record once, in order');
  await w.close();
  await jsm.streams.delete('STAGE_NOPURGE');
});

test('a restore rewinds the source to the sequence in the snapshot: records after it come again, none before', async () => {
  await jsm.streams.add({ name: 'NUMS', subjects: ['nums'] });
  const js = jetstream(nc);
  for (let i = 0; i < 3000; i++) await js.publish('nums', JSON.stringify(i));
  const source = jetStreamSource<number>({ connection: { servers: [server.url] }, stream: 'NUMS', bounded: true });
  const reader = source.createReader(0, 1);
  const dead: unknown[] = [];
  await reader.open({ job: 'rewind', operator: 'src', subtask: 0, parallelism: 1, clock: { now: () => 0, setTimeout: () => 0, clearTimeout: () => {} }, deadLetter: (e) => dead.push(e) });
  const readN = async (n: number): Promise<number[]> => {
    const out: number[] = [];
    while (out.length < n) {
      const got = reader.read(out, null, n - out.length);
      if (got < 0) break;
      if (got === 0) await reader.whenAvailable!();
    }
    return out;
  };
  const first = await readN(1000);
  assert.equal(first, [...Array(1000).keys()]);
  const position = reader.snapshot(1);
  const more = await readN(500);
  assert.is(more[0], 1000);
  reader.restore(position);
  const again = await readN(2000);
  assert.equal(again, Array.from({ length: 2000 }, (_, i) => 1000 + i), 'continues right after the snapshot');
  const end = await readN(1);
  assert.equal(end, [], 'bounded: ends at the stream end');
  await reader.notifyCheckpointComplete!(1);
  await reader.close();
  const durable = (await jsm.consumers.list('NUMS').next()).find((c) => c.name.startsWith('weir-rewind'));
  assert.ok(durable, 'a durable consumer exists');
  assert.is(durable!.ack_floor.stream_seq, 1000, 'checkpoint 1 acknowledged up to its position');
  assert.equal(dead, []);
});

const ctx = (job: string, dead: unknown[] = []) => ({ job, operator: 'src', subtask: 0, parallelism: 1, clock: { now: () => 0, setTimeout: () => 0, clearTimeout: () => {} }, deadLetter: (e: unknown) => void dead.push(e) });

/** Reads `n` records (fewer at the end of a bounded source). */
async function readRecords<T>(reader: SourceReader<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  while (out.length < n) {
    const got = reader.read(out, null, n - out.length);
    if (got < 0) break;
    if (got === 0) await reader.whenAvailable!();
  }
  return out;
}

/** Counts the consumer creations of a stream the server is asked for, from now on. */
function countCreations(stream: string): { count(): number; stop(): void } {
  let n = 0;
  const sub = nc.subscribe(`$JS.API.CONSUMER.*.${stream}.>`, { callback: (_e, m) => void (m.subject.includes('CREATE') && n++) });
  return { count: () => n, stop: () => sub.unsubscribe() };
}

/** Three subjects, interleaved, in one message block: `{ s: i % 3, i }` as message i + 1. */
async function interleaved(stream: string, n: number): Promise<void> {
  await jsm.streams.add({ name: stream, subjects: [`${stream.toLowerCase()}.>`] });
  for (let i = 0; i < n; i++) {
    nc.publish(`${stream.toLowerCase()}.${i % 3}`, JSON.stringify({ s: i % 3, i }));
    if (i % 10_000 === 9_999) await nc.flush();
  }
  await nc.flush();
}

test('issue 6: a reader restored into the first half of the last message block reads on with one consumer (nats-server before 2.9.15 rescanned the block for each message a filtered consumer delivered: pulls expired half-done, ended in missed heartbeats, and each one re-created the consumer)', async () => {
  await interleaved('SENSORS', 60_000);
  const reader = jetStreamSource<{ s: number; i: number }>({ connection: { servers: [server.url] }, stream: 'SENSORS', subjects: ['sensors.0', 'sensors.1', 'sensors.2'], bounded: true }).createReader(1, 3);
  const dead: unknown[] = [];
  await reader.open(ctx('zone', dead));
  const creations = countCreations('SENSORS');
  // Message 25_001 holds i = 25_000; the first of subject 1 after it is i = 25_003.
  reader.restore({ 'sensors.1': 25_001 });
  const got = await readRecords(reader, 5000);
  creations.stop();
  await reader.close();
  assert.equal(got.map((r) => r.i), Array.from({ length: 5000 }, (_, k) => 25_003 + 3 * k), 'subject 1 only, right after the restored position');
  assert.is(creations.count(), 1, 'one consumer for the restored position, never re-created');
  assert.equal(dead, []);
});

test('a restore while the first pull sets up its consumer, filtering on the server or in the reader: the new run reads right after the restored position (a pull of the old run could keep the consumer it made, and the new run lost what that pull took)', async () => {
  await interleaved('RACE', 9000);
  for (const filterOn of ['server', 'client'] as const) {
    // Committed up to message 3000 by an earlier run: the reader starts there, and so does the checkpoint it restores.
    const durable = `race-${filterOn}-race_2`;
    await jsm.consumers.add('RACE', { durable_name: durable, ack_policy: AckPolicy.All, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 3001 });
    const reader = jetStreamSource<{ s: number; i: number }>({ connection: { servers: [server.url] }, stream: 'RACE', subjects: ['race.0', 'race.1', 'race.2'], bounded: true, filterOn, durablePrefix: `race-${filterOn}` }).createReader(2, 3);
    await reader.open(ctx('race'));
    // The first pull looks its new consumer up right after creating it: the restore comes exactly then.
    let restored!: () => void;
    const done = new Promise<void>((resolve) => (restored = resolve));
    const sub = nc.subscribe(`$JS.API.CONSUMER.INFO.RACE.${durable}`, {
      callback: () => {
        sub.unsubscribe();
        reader.restore({ 'race.2': 3000 });
        restored();
      },
    });
    await nc.flush();
    const first = readRecords(reader, 1);
    await done;
    const got = [...(await first), ...(await readRecords(reader, 3000))];
    await reader.close();
    assert.equal(got.map((r) => r.i), Array.from({ length: 2000 }, (_, k) => 3002 + 3 * k), `${filterOn}: every record of subject 2 after the restored position, once, in order`);
  }
});

test('core NATS source and sink (at-most-once): records published while the job runs flow through; garbage is a dead letter', async () => {
  const env = StreamEnvironment.create({ parallelism: 1 });
  const received: number[] = [];
  const watcher = nc.subscribe('out.numbers', { callback: (_e, m) => void received.push(Number(m.string())) });
  env
    .fromSource(natsSource<number>({ connection: { servers: [server.url] }, subject: 'in.numbers' }))
    .map((x) => x * 2)
    .sinkTo(natsSink<number>({ connection: { servers: [server.url] }, subject: 'out.numbers' }));
  const handle = env.executeAsync('core-nats');
  // The subscription is ready once a probe comes through (core NATS drops what nobody listens to).
  while (received.length === 0) {
    nc.publish('in.numbers', '-1');
    await nc.flush();
    await new Promise((r) => setTimeout(r, 20));
  }
  for (let i = 0; i < 2000; i++) nc.publish('in.numbers', JSON.stringify(i));
  nc.publish('in.numbers', 'garbage');
  await nc.flush();
  while (received.filter((x) => x >= 0).length < 2000) await new Promise((r) => setTimeout(r, 20));
  const metrics = handle.metrics();
  await handle.cancel();
  await handle.done.catch(() => {});
  assert.equal(received.filter((x) => x >= 0), Array.from({ length: 2000 }, (_, i) => i * 2), 'in order, each once (nothing failed)');
  assert.is(metrics.deadLetters, 1, 'the garbage message is a dead letter');
  watcher.unsubscribe();
});

test.run();
