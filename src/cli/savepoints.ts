import { DirectorySnapshotStore } from '../checkpoint/stores/directory-store.ts';
import { unpackValue } from '../state/snapshot-codec.ts';
import { encryptAtRest } from '../security/encrypted-store.ts';
import type { CheckpointMetadata } from '../checkpoint/coordinator.ts';
import type { JobHandle } from '../runtime/job.ts';
import { WeirError, causeText } from '../errors.ts';

/** The newest savepoint in a savepoint directory (any job), or a clear error when there is none. */
export async function latestSavepointIn(dir: string): Promise<CheckpointMetadata> {
  const store = encryptAtRest(new DirectorySnapshotStore(dir));
  const found: CheckpointMetadata[] = [];
  for (const key of (await store.list('')).filter((k) => k.endsWith('/_metadata'))) {
    try {
      const meta = unpackValue((await store.get(key))!) as CheckpointMetadata;
      if (meta.savepoint) found.push(meta);
    } catch (error) {
      throw new WeirError('WEIR_SAVEPOINT_CORRUPT', `savepoint metadata ${dir}/${key} cannot be read: ${causeText(error)}; nothing was restored or overwritten`, {});
    }
  }
  if (found.length === 0) throw new WeirError('WEIR_NO_SAVEPOINT', `no savepoint in ${dir} (take one with 'weir savepoint <pid>' while the job runs with --savepoint-dir ${dir})`, {});
  return found.sort((a, b) => a.completedAt - b.completedAt || a.id - b.id).pop()!;
}

/**
 * Signals the CLI answers while a job runs: SIGUSR2 takes a savepoint of every running job,
 * SIGHUP takes one and then stops the job (so does a closing terminal) (`weir savepoint <pid> [--stop]` sends them).
 */
export function answerSavepointSignals(jobs: Set<JobHandle>, dir: string): void {
  const take = async (stop: boolean) => {
    for (const job of jobs) {
      try {
        const meta = await job.savepoint();
        console.log(`savepoint ${meta.id} of job '${meta.job}' written to ${dir} (${meta.bytes} bytes)`);
        if (stop) await job.cancel();
      } catch (error) {
        console.error(`savepoint of job '${job.name}' failed: ${causeText(error)}`);
      }
    }
  };
  process.on('SIGUSR2', () => void take(false));
  process.on('SIGHUP', () => void take(true));
}
