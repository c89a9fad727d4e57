// Chaos seed 52 (issue 23), its second half: a coordinator that resumes after a stall can complete a checkpoint of the
// attempt the cluster abandoned meanwhile, from acknowledgements queued while it was paused, and tell its sinks to commit
// it. With fencing, the attempt's snapshot store refuses the metadata write (the attempt record in NATS KV is newer):
// the checkpoint is aborted, no participant is told it completed, and the store holds no trace of it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { startNatsServer } from '../support/nats-server.ts';
import { CheckpointCoordinator, type CheckpointSource } from '../../src/checkpoint/coordinator.ts';
import { checkpointMetadataKey } from '../../src/checkpoint/checkpoint-keys.ts';
import { DirectorySnapshotStore, InspectionBus, StaleAttemptError, systemClock } from '../../src/index.ts';
import { defaultAttemptsLocation, openAttemptEpochs } from '../../src/cluster/attempt-epochs.ts';
import { fencedSnapshotStore } from '../../src/cluster/fenced-snapshot-store.ts';

test('acknowledgements of an abandoned attempt do not complete its checkpoint, nor make its sinks commit', async () => {
  await using nats = await startNatsServer();
  const nc = await connect({ servers: nats.url });
  const dir = mkdtempSync(join(tmpdir(), 'weir-abandoned-'));
  let coordinator: CheckpointCoordinator | undefined;
  try {
    const epochs = await openAttemptEpochs(nc, defaultAttemptsLocation('weir', 'clicks'), Date.now(), 60_000);
    const inner = new DirectorySnapshotStore(dir);
    const store = fencedSnapshotStore(inner, epochs.fence(0, () => true));
    const completed: number[] = [];
    const triggered: number[] = [];
    // The other node's actor, as the coordinator sees it (a stand-in fed by control messages).
    const remote: CheckpointSource = { checkpointName: 'sink-1', id: 'sink-1@remote', state: () => 'running', notifyCheckpointComplete: async (id) => void completed.push(id), triggerCheckpoint: (id) => void triggered.push(id) };
    const inspection = new InspectionBus();
    const events: string[] = [];
    inspection.subscribe((e) => {
      if (e.type === 'checkpoint.completed' || e.type === 'checkpoint.aborted') events.push(e.type);
    });
    coordinator = new CheckpointCoordinator('clicks', [remote], [remote], store, systemClock, inspection, { intervalMs: 3_600_000 }, () => {});
    // Attempt 0 completes checkpoint 1.
    const first = coordinator.trigger();
    coordinator.acknowledge(remote, 1, '', 0);
    assert.is((await first).id, 1);
    // Checkpoint 2 starts; this node stalls; the others claim attempt 1 and go on without it.
    const second = coordinator.trigger().catch((e: Error) => e);
    assert.is(await epochs.claim(1, ['b'], 'b'), undefined);
    // It resumes: the acknowledgement queued meanwhile arrives.
    coordinator.acknowledge(remote, 2, '', 0);
    const outcome = await second;
    assert.instance(outcome, Error);
    assert.match((outcome as Error).message, /attempt 0 .* attempt 1/);
    assert.equal(completed, [1], 'only the checkpoint of the current attempt was committed');
    assert.equal(events, ['checkpoint.completed', 'checkpoint.aborted']);
    assert.is(await inner.get(checkpointMetadataKey('clicks', 2)), undefined);
    await store.put('clicks/chk-000002/x', new Uint8Array(1)).then(
      () => assert.unreachable('a stale attempt wrote a checkpoint part'),
      (e) => assert.instance(e, StaleAttemptError),
    );
  } finally {
    coordinator?.stop();
    await nc.drain();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
