import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectorySnapshotStore, JobCancelledError, SeededRandom, StreamEnvironment, TransactionalCollectSink } from '../../src/index.ts';
import { generated } from '../../examples/shared/generated.ts';
import { multisetDiff } from '../../examples/shared/compare.ts';
import { INTERACTION_EVERY_MS, interactionAt } from '../../examples/recommendation/interactions.ts';
import { recommendationReference } from '../../examples/recommendation/reference.ts';
import { buildEmbedded, runRecommendation } from '../../examples/recommendation/run.ts';
import { topRelated, type Recommendation } from '../../examples/recommendation/recommendation-job.ts';
import { startNatsServer } from '../support/nats-server.ts';

const COUNT = 6_000;
const SEED = 4;
const want = recommendationReference(generated(interactionAt, COUNT, SEED));

function assertSame(got: Recommendation[], label: string): void {
  const d = multisetDiff(got, want);
  const detail = `missing ${d.examples.missing.join(' ')}; extra ${d.examples.extra.join(' ')}`;
  assert.is(d.missing, 0, `${label}: nothing lost (${detail})`);
  assert.is(d.extra, 0, `${label}: nothing duplicated or wrong (${detail})`);
  const key = (r: Recommendation) => JSON.stringify(r);
  assert.equal(got.map(key).sort(), want.map(key).sort(), label);
}

test('the reference recommends related items and leaves out what the user bought', () => {
  assert.is(want.length, COUNT, 'one recommendation per interaction');
  assert.ok(want.filter((r) => r.related.length === 5).length > COUNT / 2, 'most get a full top-5');
  const log = generated(interactionAt, COUNT, SEED);
  const bought = new Map<string, Set<string>>();
  let excluded = 0;
  for (const e of log) {
    const mine = bought.get(e.user) ?? new Set();
    if (e.kind === 'buy') bought.set(e.user, mine.add(e.item));
    const r = want[e.seq]!;
    for (const item of r.related) assert.ok(!mine.has(item), `#${e.seq}: ${item} was bought by ${e.user}`);
    if (mine.size > 0) excluded++;
  }
  assert.ok(excluded > 100, 'purchases do constrain many recommendations');
});

test('topRelated is the first k of all items sorted by count, then name, leaving out the excluded ones', () => {
  const r = new SeededRandom(9);
  for (let round = 0; round < 200; round++) {
    const counts = new Map<string, number>();
    for (let i = r.int(30); i > 0; i--) counts.set(`i${r.int(40)}`, 1 + r.int(6));
    const exclude = new Set(Array.from({ length: r.int(5) }, () => `i${r.int(40)}`));
    const k = 1 + r.int(6);
    const sorted = [...counts].filter(([item]) => !exclude.has(item)).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, k).map(([item]) => item);
    assert.equal(topRelated(counts, exclude, k), sorted);
  }
});

test('embedded at parallelism 2 with one injected crash on the item side: the recommendations equal the reference', async () => {
  const { recommendations, job } = await runRecommendation({ interactions: COUNT, seed: SEED, parallelism: 2, crashAtSeq: 3_333 });
  assert.is(job.restarts, 1, 'the crash happened and the actor restarted');
  assertSame(recommendations, 'crash');
});

test('recent items expire with their TTL in processing time: replayed on a simulated clock, the recommendations equal the reference with that TTL (and differ from one without)', async () => {
  const ttl = 40_000;
  const stepMs = 500;
  const { recommendations, job } = await runRecommendation({ interactions: COUNT, seed: SEED, parallelism: 2, crashAtSeq: 2_222, recentTtlMs: ttl, simulatedClock: { stepMs } });
  assert.is(job.restarts, 1, 'the crash happened');
  const log = generated(interactionAt, COUNT, SEED);
  const handledAt = (e: { seq: number }) => Math.ceil(((e.seq + 1) * INTERACTION_EVERY_MS) / stepMs) * stepMs;
  const withTtl = recommendationReference(log, ttl, handledAt);
  assert.ok(multisetDiff(withTtl, want).missing > COUNT / 10, 'the TTL changes many recommendations');
  const d = multisetDiff(recommendations, withTtl);
  const detail = `missing ${d.examples.missing.join(' ')}; extra ${d.examples.extra.join(' ')}`;
  assert.is(d.missing, 0, `nothing lost (${detail})`);
  assert.is(d.extra, 0, `nothing duplicated or wrong (${detail})`);
});

test('a savepoint taken mid-run at parallelism 2, restored at parallelism 3: committed outputs of both runs equal the reference', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'examples-reco-'));
  try {
    const first = new TransactionalCollectSink<Recommendation>();
    // Checkpoints only on request: the savepoint is the one commit point of the first run.
    const options = { snapshotStore: new DirectorySnapshotStore(dir), checkpointing: { intervalMs: 2 ** 31 - 1 } };
    const env1 = StreamEnvironment.create({ parallelism: 2, ...options });
    // Slow enough that the savepoint completes long before the input ends, even on a loaded machine.
    buildEmbedded(env1, { interactions: COUNT, seed: SEED, ratePerSecond: 1_500 }, first);
    const job1 = env1.executeAsync('recommendation');
    while (job1.metrics().recordsIn < COUNT / 10) await new Promise((r) => setTimeout(r, 10));
    const savepoint = await job1.savepoint();
    await job1.cancel();
    await job1.done.then(() => assert.unreachable('the first run was stopped'), (e) => assert.instance(e, JobCancelledError));
    assert.ok(first.committed.length > 0 && first.committed.length < COUNT, `the first run committed part of the output (${first.committed.length})`);

    const second = new TransactionalCollectSink<Recommendation>();
    const env2 = StreamEnvironment.create({ parallelism: 3, ...options, restoreFrom: savepoint });
    buildEmbedded(env2, { interactions: COUNT, seed: SEED }, second);
    await env2.execute('recommendation');
    assert.ok(second.committed.length > 0, 'the restored run wrote the rest');
    assertSame([...first.committed, ...second.committed], 'savepoint + rescale');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('on NATS: interactions from a JetStream stream, recommendations to JetStream with a crash; equal to the reference', async () => {
  await using server = await startNatsServer({ jetstream: true });
  const { recommendations, job } = await runRecommendation({ interactions: COUNT, seed: SEED, parallelism: 2, crashAtSeq: 4_444, nats: server.url });
  assert.ok(job.restarts >= 1, 'the crash happened');
  assertSame(recommendations, 'nats');
});

test.run();
