// Chaos seed 114 (issue 23): a node paused past the heartbeat timeout resumed with its JetStream source still reading
// the durable consumer of its split, named per job/operator/split only, which the node that took the split over had
// recreated at its own position: the zombie took messages the new reader never got (windows with wrong counts), and
// its sink staged an epoch after the new owner's recovery had purged the split's staging. With consumers per attempt
// (`…-a<attempt>`, older attempts' deleted when a new attempt opens) and attempt fencing, the resumed node reads and
// stages nothing and leaves; the output is exact and nothing stays staged.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer } from '../support/nats-server.ts';
import { readAll } from '../support/jetstream-read.ts';
import { weir, printedLines } from '../cluster/cli-process.ts';
import { JS_SUBJECTS, readings, windowRows } from '../chaos/fixtures/inputs.ts';
import { compareMultisets } from '../chaos/multiset.ts';
import { jetStreamSource, systemClock, StaleAttemptError, type SourceReader } from '../../src/index.ts';
import type { SourceContext } from '../../src/connectors/source.ts';
import { defaultAttemptsLocation, openAttemptEpochs } from '../../src/cluster/attempt-epochs.ts';

const FIXTURE = 'test/chaos/fixtures/pipeline.job.ts';
const SEED = 114;
const COUNT = 15_000;


test('a paused node resumed after its JetStream split was taken over reads nothing of it and stages nothing (zombie consumer)', async () => {
  await using nats = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'weir-js-attempt-'));
  const input = readings(COUNT, SEED);
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'READINGS', subjects: ['readings.>'] });
  await jsm.streams.add({ name: 'WINDOWS', subjects: ['windows'], duplicate_window: 120e9 });
  // Two of the fixture's three subjects: at parallelism 2 each subtask then reads one (in event-time order).
  for (let i = 0; i < input.length; i++) nc.publish(JS_SUBJECTS[i % 2]!, JSON.stringify(input[i]));
  await nc.flush();
  // Every sink write of both nodes takes 700 ms longer: the job runs long enough for a pause past the heartbeat
  // timeout (the sink is chained to the windows, so the source is held back by credits).
  const faults = [0, 1].map((node) => ({ kind: 'slow-sink', node, nth: 1, batches: 1e9, delayMs: 700 }));
  const start = (name: string, i: number) =>
    weir(['run', FIXTURE, '--parallelism', '2', '--nats', nats.url, '--node', name, '--nodes', 'a,b', '--checkpoint-dir', join(dir, 'checkpoints')], {
      CHAOS_SOURCE: 'jetstream', CHAOS_SINK: 'jetstream', CHAOS_NATS: nats.url, CHAOS_NODE: String(i), CHAOS_SEED: String(SEED), WEIR_CHAOS_FAULTS: JSON.stringify(faults),
    });
  const [a, b] = [start('a', 0), start('b', 1)];
  const checkpoint = /^CHAOS \{"t":"checkpoint"/;
  try {
    await printedLines(a, checkpoint, 2);
    b.child.kill('SIGSTOP');
    // a takes b's split over in attempt 1 and checkpoints there: its consumer reads the split by then.
    await a.waitFor(/restarts job 'chaos-pipeline' \(attempt 1\)/);
    const before = a.output().split('\n').filter((l) => checkpoint.test(l)).length;
    await printedLines(a, checkpoint, before + 1);
    b.child.kill('SIGCONT');
    const [codeA, codeB] = await Promise.all([a.exit, b.exit]);
    if (process.env.WEIR_TEST_LOGS) (await import('node:fs')).writeFileSync(process.env.WEIR_TEST_LOGS, `--- a\n${a.output()}\n--- b\n${b.output()}`);
    const logs = `--- a\n${a.output().slice(-4000)}\n--- b\n${b.output().slice(-4000)}`;
    assert.is(codeA, 0, logs);
    assert.is.not(codeB, 0, `the resumed node must leave the job\n${logs}`);
    const diff = compareMultisets(await readAll(jsm, nc, 'WINDOWS'), windowRows(input));
    assert.equal({ lost: diff.lost, duplicated: diff.duplicated, unexpected: diff.unexpected }, { lost: 0, duplicated: 0, unexpected: 0 }, `${JSON.stringify(diff.examples)}\n${logs}`);
    const staged = (await jsm.streams.info('WEIR_STAGING')).state.messages;
    assert.is(staged, 0, `messages left staged in WEIR_STAGING\n${logs}`);
    // The durable consumers left are the last attempt's own: none of the stalled node's attempt 0 survived it.
    const last = Math.max(...[...a.output().matchAll(/\(attempt (\d+)\)/g)].map((m) => Number(m[1])));
    const names: string[] = [];
    for await (const c of jsm.consumers.list('READINGS')) if (c.config.durable_name) names.push(c.config.durable_name);
    assert.ok(names.length > 0 && names.every((n) => n.endsWith(`-a${last}`)), `consumers of READINGS: ${names.join(' ')} (last attempt ${last})`);
  } finally {
    for (const p of [a, b]) {
      p.child.kill('SIGCONT');
      p.child.kill('SIGKILL');
    }
    await nc.drain();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Reads until `reader` hands out `count` records (or at least one, with `count` 1), ends, or throws. */
async function readSome(reader: SourceReader<{ i: number }>, count: number): Promise<{ got: number[]; error?: unknown }> {
  const got: number[] = [];
  try {
    while (got.length < count) {
      const out: Array<{ i: number }> = [];
      const n = reader.read(out, null, count - got.length);
      got.push(...out.map((r) => r.i));
      if (n === -1) break;
      if (n === 0) await reader.whenAvailable!();
    }
    return { got };
  } catch (error) {
    return { got, error };
  }
}

test('a stale attempt\'s JetStream reader reads nothing once a newer attempt took its split over, and the new reader misses nothing', async () => {
  await using nats = await startNatsServer();
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'EVENTS', subjects: ['events.>'] });
  const publish = async (from: number, to: number) => {
    for (let i = from; i <= to; i++) nc.publish('events.x', JSON.stringify({ i }));
    await nc.flush();
  };
  await publish(1, 600);
  const epochs = await openAttemptEpochs(nc, defaultAttemptsLocation('weir', 'events-job'), Date.now(), 60_000);
  const source = jetStreamSource<{ i: number }>({ connection: { servers: [nats.url] }, stream: 'EVENTS', subjects: ['events.x'] });
  const context = (attempt: number): SourceContext => ({ job: 'events-job', operator: 'events', subtask: 0, parallelism: 1, clock: systemClock, deadLetter: () => {}, fence: epochs.fence(attempt, () => true) });
  const stale = source.createReader(0, 1);
  const fresh = source.createReader(0, 1);
  try {
    // Attempt 0 reads everything there is; its checkpoint covered the first 300.
    await stale.open(context(0));
    stale.restore!({});
    assert.equal((await readSome(stale, 600)).got.at(-1), 600);
    // The node running attempt 0 stalls; the cluster restarts the job as attempt 1, which restores the checkpoint.
    assert.is(await epochs.claim(1, ['b'], 'b'), undefined);
    await fresh.open(context(1));
    fresh.restore!({ 'events.x': 300 });
    assert.equal(await readSome(fresh, 300), { got: Array.from({ length: 300 }, (_, k) => 301 + k) });
    // New input arrives; the stalled node resumes and pulls again before it learns it was left out.
    await publish(601, 1200);
    const zombie = await readSome(stale, 1);
    assert.equal(zombie.got, [], 'the stale attempt read records of the split the new attempt owns');
    assert.instance(zombie.error, StaleAttemptError);
    assert.equal(await readSome(fresh, 600), { got: Array.from({ length: 600 }, (_, k) => 601 + k) });
  } finally {
    await stale.close?.();
    await fresh.close?.();
    await nc.drain();
  }
});

test.run();
