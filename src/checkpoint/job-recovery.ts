import type { PhysicalPlan } from '../graph/physical-plan.ts';
import type { SnapshotStore } from './stores/snapshot-store.ts';
import type { CheckpointMetadata } from './coordinator.ts';
import { runJob, type JobHandle, type JobResult, type JobRuntimeOptions } from '../runtime/job.ts';
import { nextRestartDelay, type RestartStrategy } from './restart-strategy.ts';
import { unpackValue } from '../state/snapshot-codec.ts';
import { JobCancelledError, SnapshotCorruptError } from '../errors.ts';

/**
 * The newest completed checkpoint of a job in a store (its metadata is written last, so a
 * checkpoint without metadata is incomplete and ignored), or undefined.
 */
export async function latestCheckpoint(store: SnapshotStore, job: string): Promise<CheckpointMetadata | undefined> {
  const keys = (await store.list(`${job}/chk-`)).filter((k) => k.endsWith('/_metadata')).sort();
  for (let i = keys.length - 1; i >= 0; i--) {
    const bytes = await store.get(keys[i]!);
    if (!bytes) continue;
    try {
      return unpackValue(bytes) as CheckpointMetadata;
    } catch (e) {
      // A damaged metadata file: fall back to the previous checkpoint.
      void new SnapshotCorruptError(keys[i]!, 'metadata does not decode', { job }, e);
    }
  }
  return undefined;
}

/**
 * Runs a job and, when it fails as a whole (one-actor recovery escalated, a node was lost),
 * rolls every actor back to the last completed checkpoint and runs it again, as the restart
 * strategy allows. Sources rewind to the checkpoint's offsets; two-phase-commit sinks commit
 * what the checkpoint pre-committed and abort the rest, so the output stays exactly-once.
 */
export function runWithRestarts(name: string, plan: PhysicalPlan, options: JobRuntimeOptions, strategy: RestartStrategy): JobHandle {
  let current = runJob(name, plan, options);
  let cancelled = false;
  let jobRestarts = 0;
  const failures: number[] = [];
  const done = (async (): Promise<JobResult> => {
    for (;;) {
      try {
        const r = await current.done;
        return { ...r, restarts: r.restarts + jobRestarts, jobRestarts };
      } catch (e) {
        if (cancelled || e instanceof JobCancelledError || !options.checkpoint) throw e;
        failures.push(options.clock.now());
        const delay = nextRestartDelay(strategy, failures);
        if (delay === undefined) throw e;
        const from = (await latestCheckpoint(options.store, name)) ?? options.restoreFrom;
        await new Promise<void>((resolve) => options.clock.setTimeout(resolve, delay));
        if (cancelled) throw e;
        jobRestarts++;
        options.inspection?.emit({ type: 'job.restarted', job: name, attempt: jobRestarts, checkpointId: from?.id ?? 0, cause: e });
        current = runJob(name, plan, { ...options, restoreFrom: from });
      }
    }
  })();
  return {
    name,
    done,
    get system() {
      return current.system;
    },
    cancel: async () => {
      cancelled = true;
      await current.cancel();
      await done.catch(() => {});
    },
    metrics: () => current.metrics(),
    checkpoint: () => current.checkpoint(),
    savepoint: () => current.savepoint(),
  };
}
