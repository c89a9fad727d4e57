import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from '@nats-io/transport-node';
import { StreamEnvironment, CollectSink } from '../../src/index.ts';
import { activeJobs } from '../../src/internal.ts';
import { watchJobs } from '../../src/status/job-watcher.ts';
import { followStatus, statusPublisher } from '../../src/status/nats-status.ts';
import type { LiveJobStatus } from '../../src/status/job-status.ts';
import { startNatsServer } from '../support/nats-server.ts';

test('statuses published by two nodes over a real nats-server are merged per job: counters summed, actors tagged with their node', async () => {
  await using nats = await startNatsServer({ jetstream: false });
  const nc = await connect({ servers: nats.url });
  try {
    let latest: LiveJobStatus[] = [];
    let resolveBoth!: () => void;
    const both = new Promise<void>((r) => (resolveBoth = r));
    // The subscriber listens under the cluster prefix: a node's job process publishes under `<prefix>.<job>`.
    const stop = followStatus(nc, 'weir', (jobs) => {
      latest = jobs;
      if (jobs[0]?.nodes?.length === 2 && jobs[0].state === 'completed') resolveBoth();
    });
    await nc.flush();
    const env = StreamEnvironment.create();
    env.fromCollection(Array.from({ length: 1000 }, (_, i) => i)).map((x) => x + 1).sinkTo(new CollectSink<number>());
    const watch = watchJobs({ jobs: activeJobs, intervalMs: 60_000 });
    const job = env.executeAsync('merged');
    watch.tick();
    await job.done;
    const [status] = watch.tick();
    watch.stop();
    // Two nodes each running "its share" (here: the same figures), as `weir run --nats` does.
    statusPublisher(nc, 'weir.merged', 'node-a')([status!]);
    statusPublisher(nc, 'weir.merged', 'node-b')([status!]);
    await both;
    stop();
    assert.is(latest.length, 1);
    const m = latest[0]!;
    assert.is(m.job, 'merged');
    assert.is(m.recordsIn, 2000);
    assert.is(m.recordsOut, 2000);
    assert.equal(m.nodes!.sort(), ['node-a', 'node-b']);
    assert.equal([...new Set(m.actors.map((a) => a.node))].sort(), ['node-a', 'node-b']);
    assert.is(m.actors.length, 2 * status!.actors.length);

    // A follower that outlives many jobs stays bounded: beyond 64 jobs, the least recently reported goes.
    let many: LiveJobStatus[] = [];
    let resolveLast!: () => void;
    const last = new Promise<void>((r) => (resolveLast = r));
    const stopMany = followStatus(nc, 'weir', (jobs) => {
      many = jobs;
      if (jobs.some((j) => j.job === 'job-69')) resolveLast();
    });
    await nc.flush();
    for (let i = 0; i < 70; i++) statusPublisher(nc, 'weir', 'node-a')([{ ...status!, job: `job-${i}` }]);
    await last;
    stopMany();
    assert.is(many.length, 64);
    assert.not.ok(many.some((j) => j.job === 'job-0'));
  } finally {
    await nc.close();
  }
});

test.run();
