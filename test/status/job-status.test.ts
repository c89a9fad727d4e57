import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamEnvironment, WatermarkStrategy, type Sink } from '../../src/index.ts';
import { activeJobs } from '../../src/internal.ts';
import { InspectionBus } from '../../src/runtime/inspection.ts';
import { watchJobs } from '../../src/status/job-watcher.ts';
import { JobStatusTracker, type LiveJobStatus } from '../../src/status/job-status.ts';
import { recordPreview } from '../../src/status/record-preview.ts';

interface Ev { id: number; key: string; at: number; password?: string }

/**
 * A job with an injected crash, a poison record carrying a password (over a second later: restart
 * intensity counts within 1 s, so the crash and the poison's restarts do not add up), and a slow sink.
 */
function watchedJob(bus: InspectionBus) {
  let crashed = false;
  const slow: Sink<unknown> = { name: 'slow-sink', createWriter: () => ({ open() {}, write: () => new Promise<void>((r) => setTimeout(r, 20)), close() {} }) };
  const env = StreamEnvironment.create({ parallelism: 2, batchSize: 256, checkpointing: { intervalMs: 200 }, supervision: { withinMs: 1000 }, inspection: bus, traceSampleRate: 0.01 });
  env
    .fromGenerator((i): Ev => ({ id: i, key: `k${i % 7}`, at: Date.now(), ...(i === 25_000 ? { password: 'hunter2' } : {}) }), { count: 30_000, ratePerSecond: 20_000, name: 'events', seed: 1 })
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Ev>(100).withTimestampAssigner((e) => e.at))
    .map((e) => {
      if (e.id === 3000 && !crashed) {
        crashed = true;
        throw new Error('injected crash at event 3000');
      }
      if (e.password !== undefined) throw new Error(`poison event ${e.id}`);
      return e;
    }, 'parse')
    .keyBy((e) => e.key)
    .reduce((a, b) => ({ ...b, id: Math.max(a.id, b.id) }), 'latest')
    .sinkTo(slow);
  return env.executeAsync('watched');
}

test('a watched job: rates, per-edge rates, busy sink and back-pressured upstream, the restart with its cause, the dead letter masked, checkpoints', async () => {
  const bus = new InspectionBus();
  const seen: LiveJobStatus[] = [];
  const watch = watchJobs({ jobs: activeJobs, inspection: bus, intervalMs: 100, onStatus: (s) => seen.push(...s) });
  const job = watchedJob(bus);
  const result = await job.done;
  const last = watch.tick()[0]!;
  watch.stop();
  assert.is(last.job, 'watched');
  assert.is(last.state, 'completed');
  assert.is(last.recordsIn, 30_000);
  assert.is(last.recordsOut, result.recordsOut);
  assert.ok(seen.some((s) => s.inPerSec > 1000 && s.outPerSec > 1000), 'records/s in and out moved');
  // Every edge carried records in some interval (source chain → parse is chained; parse → latest hash, latest → sink).
  assert.ok(last.graph.edges.length >= 1);
  last.graph.edges.forEach((_, e) => assert.ok(seen.some((s) => s.edgeRates[e]! > 0), `edge ${e} had a rate`));
  const sinkChain = last.graph.chains.findIndex((c) => c.operators.includes('slow-sink'));
  const sinkName = last.graph.chains[sinkChain]!.name;
  const upstream = last.graph.edges.filter((e) => e.to === sinkChain).map((e) => last.graph.chains[e.from]!.name);
  assert.ok(seen.some((s) => s.actors.some((a) => a.operator === sinkName && a.busy > 0.5)), 'the slow sink is busy');
  assert.ok(seen.some((s) => s.actors.some((a) => a.operator === sinkName && a.mailboxDepth === a.mailboxCapacity)), 'its mailbox filled');
  assert.ok(seen.some((s) => s.actors.some((a) => upstream.includes(a.operator) && a.backpressured > 0.5)), `upstream of the sink (${upstream}) is back-pressured`);
  const crash = last.restartLog.find((r) => r.cause.includes('injected crash at event 3000'));
  assert.ok(crash, JSON.stringify(last.restartLog));
  assert.is(crash!.scope, 'actor');
  assert.match(crash!.actor!, /parse/);
  assert.match(crash!.restoredFrom, /last local snapshot/);
  assert.ok(last.restarts >= 1);
  assert.is(last.deadLetters, 1);
  const letter = last.deadLetterLog[0]!;
  assert.match(letter.reason, /poison event 25000/);
  assert.match(letter.record, /"password":"\*\*\*"/);
  assert.not.match(letter.record, /hunter2/);
  assert.ok(last.checkpoints.some((c) => c.status === 'completed' && c.bytes! > 0), 'completed checkpoints with their size');
  assert.ok(last.lastCheckpoint && last.lastCheckpoint.durationMs! >= 0);
  // Actors with more than one input (the keyed reduce behind two parse subtasks) align barriers.
  assert.ok(last.checkpoints.some((c) => c.status === 'completed' && typeof c.alignmentMs === 'number' && c.alignmentMs >= 0), 'alignment time of completed checkpoints');
  // Event time is the wall clock, so the lag is small while running.
  assert.ok(seen.some((s) => s.watermarkLagMs !== null && s.watermarkLagMs < 30_000), 'watermark lag observed');
  assert.ok(last.traces.length > 0 && /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/.test(last.traces[0]!.traceparent), 'sampled traces listed');
  assert.ok(last.history.t.length > 2 && last.history.t.length <= 120);
});

test('histories are bounded rings whatever the job\u2019s age', () => {
  const t = new JobStatusTracker('j', 0);
  for (let i = 1; i <= 500; i++) {
    t.onEvent({ type: 'checkpoint.completed', job: 'j', checkpointId: i, durationMs: 1, bytes: 10 }, i);
    t.onEvent({ type: 'deadLetter', job: 'j', letter: { operator: 'o', subtask: 0, reason: 'r', code: 'c', record: 'x'.repeat(10_000) } }, i);
    t.onEvent({ type: 'job.restarted', job: 'j', attempt: i, checkpointId: i, cause: new Error('lost') }, i);
  }
  const metrics = { actors: [], recordsIn: 0, recordsOut: 0, restarts: 0, deadLetters: 0, sampledTraces: [], graph: { chains: [], edges: [] } };
  let s!: LiveJobStatus;
  for (let i = 0; i < 500; i++) s = t.sample(metrics, 1000 * i);
  assert.is(s.checkpoints.length, 50);
  assert.is(s.checkpoints.at(-1)!.id, 500);
  assert.is(s.deadLetterLog.length, 50);
  assert.ok(s.deadLetterLog[0]!.record.length <= 240);
  assert.is(s.restartLog.length, 50);
  assert.is(s.restartLog.at(-1)!.restoredFrom, 'checkpoint 500');
  assert.is(s.history.t.length, 120);
});

test('restarts count on across a rollback (the new run\u2019s counters start at zero)', () => {
  const t = new JobStatusTracker('j', 0);
  const metrics = (restarts: number) => ({ actors: [], recordsIn: 0, recordsOut: 0, restarts, deadLetters: 0, sampledTraces: [], graph: { chains: [], edges: [] } });
  assert.is(t.sample(metrics(3), 1000).restarts, 3);
  t.onEvent({ type: 'job.restarted', job: 'j', attempt: 1, checkpointId: 2, cause: new Error('node lost') }, 1500);
  const s = t.sample(metrics(0), 2000);
  assert.is(s.restarts, 4);
  assert.is(s.restartLog.at(-1)!.cause, 'node lost');
  assert.is(s.restartLog.at(-1)!.restoredFrom, 'checkpoint 2');
});

test('record previews mask secrets by key, in key=value text and in URLs, and show frames as bytes', () => {
  assert.is(recordPreview({ user: 'a', password: 'x', nested: { apiKey: 'k', token: 7 } }), '{"user":"a","password":"***","nested":{"apiKey":"***","token":"***"}}');
  assert.is(recordPreview('GET /?token=abc&x=1 Authorization: Bearer xyz'), 'GET /?token=***&x=1 Authorization: ***');
  assert.is(recordPreview({ url: 'nats://me:s3cret@host:4222' }), '{"url":"nats://me:***@host:4222"}');
  assert.is(recordPreview(new Uint8Array([1, 2, 255])), '<3 bytes: 01 02 ff>');
  assert.is(recordPreview('y'.repeat(1000), 20).length, 20);
});

test.run();
