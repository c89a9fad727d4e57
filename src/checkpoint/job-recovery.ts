import type { PhysicalPlan } from '../graph/physical-plan.ts';
import type { SnapshotStore } from './stores/snapshot-store.ts';
import type { CheckpointMetadata } from './coordinator.ts';
import { runJob, type JobHandle, type JobResult, type JobRuntimeOptions } from '../runtime/job.ts';
import { nextRestartDelay, type RestartStrategy } from './restart-strategy.ts';
import type { DeadLetter } from '../runtime/dead-letter.ts';
import { decodeSnapshot, unpackValue } from '../state/snapshot-codec.ts';
import { resolveParts } from './checkpoint-parts.ts';
import { JobCancelledError, SnapshotCorruptError, WeirError, causeText } from '../errors.ts';

/**
 * The newest completed checkpoint of a job in a store (its metadata is written last, so a
 * checkpoint without metadata is incomplete and ignored), or undefined. With `verify`, every
 * snapshot file of a candidate is read and checked (magic, version, checksum); a damaged
 * checkpoint is reported to `onSkipped` and the next older one is tried.
 */
export async function latestCheckpoint(
  store: SnapshotStore,
  job: string,
  options: { verify?: boolean; onSkipped?: (checkpointId: number, reason: string) => void } = {},
): Promise<CheckpointMetadata | undefined> {
  const keys = (await store.list(`${job}/chk-`)).filter((k) => k.endsWith('/_metadata')).sort();
  for (let i = keys.length - 1; i >= 0; i--) {
    const bytes = await store.get(keys[i]!);
    if (!bytes) continue;
    let meta: CheckpointMetadata;
    try {
      meta = unpackValue(bytes) as CheckpointMetadata;
    } catch (e) {
      options.onSkipped?.(Number(/chk-(\d+)/.exec(keys[i]!)?.[1] ?? -1), new SnapshotCorruptError(keys[i]!, 'metadata does not decode', { job }, e).message);
      continue;
    }
    const damage = options.verify ? await damaged(store, meta) : undefined;
    if (damage === undefined) return meta;
    options.onSkipped?.(meta.id, damage);
  }
  return undefined;
}

/** Why a checkpoint cannot be restored (a snapshot file missing or corrupt), or undefined when it can. */
async function damaged(store: SnapshotStore, meta: CheckpointMetadata): Promise<string | undefined> {
  for (const [actor, key] of Object.entries(meta.actors)) {
    const bytes = await store.get(key);
    if (!bytes) return `snapshot of '${actor}' is missing (${store.describe()}/${key})`;
    try {
      // Key groups an incremental checkpoint references are read and checked too.
      await resolveParts(decodeSnapshot(bytes, { job: meta.job, key }).payload as { operators: unknown[] }, store, { job: meta.job });
    } catch (e) {
      return causeText(e);
    }
  }
  return undefined;
}

/** Counts dead letters once across job restarts: a rollback re-emits the letters after its checkpoint. */
function deadLetterDeduper(options: JobRuntimeOptions): { onDeadLetter: (l: DeadLetter) => void; letters: DeadLetter[]; count: () => number } {
  const seen = new Set<string>();
  const letters: DeadLetter[] = [];
  return {
    letters,
    count: () => seen.size,
    onDeadLetter: (l) => {
      const id = `${l.operator}|${l.subtask}|${l.code}|${l.source}|${l.position}|${l.reason}|${safeText(l.record)}`;
      if (seen.has(id)) return;
      seen.add(id);
      if (letters.length < options.deadLetterMemory) letters.push(l);
      options.onDeadLetter?.(l);
    },
  };
}

function safeText(v: unknown): string {
  try {
    return String(JSON.stringify(v)).slice(0, 200);
  } catch {
    // A record nested too deep for JSON.stringify is too deep for String() too (a hostile input's dead letter was lost).
    try {
      return String(v).slice(0, 200);
    } catch {
      return Object.prototype.toString.call(v);
    }
  }
}

/**
 * Runs a job and, when it fails as a whole (one-actor recovery escalated, a node was lost),
 * rolls every actor back to the last completed checkpoint and runs it again, as the restart
 * strategy allows. Sources rewind to the checkpoint's offsets; two-phase-commit sinks commit
 * what the checkpoint pre-committed and abort the rest, so the output stays exactly-once.
 */
export function runWithRestarts(name: string, plan: PhysicalPlan, given: JobRuntimeOptions, strategy: RestartStrategy): JobHandle {
  const letters = deadLetterDeduper(given);
  const options = { ...given, onDeadLetter: letters.onDeadLetter };
  let current = runJob(name, plan, options);
  let cancelled = false;
  let jobRestarts = 0;
  const failures: number[] = [];
  const done = (async (): Promise<JobResult> => {
    for (;;) {
      try {
        const r = await current.done;
        return { ...r, restarts: r.restarts + jobRestarts, jobRestarts, deadLetters: letters.letters, deadLetterCount: letters.count() };
      } catch (e) {
        if (cancelled || e instanceof JobCancelledError || !options.checkpoint) throw e;
        failures.push(options.clock.now());
        const delay = nextRestartDelay(strategy, failures);
        if (delay === undefined) throw e;
        let skippedAny = false;
        const skippedReasons: string[] = [];
        const skipped = (checkpointId: number, reason: string) => {
          skippedAny = true;
          skippedReasons.push(`checkpoint ${checkpointId}: ${reason}`);
          options.inspection?.emit({ type: 'checkpoint.skipped', job: name, checkpointId, reason });
        };
        const from = (await latestCheckpoint(options.store, name, { verify: true, onSkipped: skipped })) ?? options.restoreFrom;
        // Starting over would repeat output that completed checkpoints already committed.
        if (!from && skippedAny) throw new WeirError('WEIR_NO_USABLE_CHECKPOINT', `job '${name}' failed and none of its completed checkpoints can be restored (${skippedReasons.join('; ')})`, { job: name }, { cause: e });
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
