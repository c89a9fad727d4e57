import type { SnapshotStore } from './stores/snapshot-store.ts';
import { decodeSnapshot } from '../state/snapshot-codec.ts';
import { WeirError } from '../errors.ts';

/**
 * An operator's keyed state offered to a checkpoint key group by key group, so that a checkpoint
 * uploads only the groups that changed since the last completed one (an incremental checkpoint)
 * and packs them after the barrier has moved on, one group per turn (an asynchronous snapshot).
 * Groups the checkpoint does not upload are referenced from the last completed checkpoint.
 *
 * Restoring reads the referenced group blobs and hands the operator `{ ...base, groups }`, the
 * layout of its `snapshotState()`, so its restore code is the same for full and incremental
 * checkpoints (and a rescale keeps working key group by key group).
 */
export interface CheckpointParts {
  /** The operator's state without its key groups. */
  base: Record<string, unknown>;
  /** Every key group that holds state now. */
  groups: number[];
  /** Key groups changed since the last completed checkpoint, or `'all'` (after a restore, at the first checkpoint). */
  changed: ReadonlySet<number> | 'all';
  /** Work to do before the first `part` (regrouping), a step per call, each about a batch long; true when done. */
  prepare?(): boolean;
  /**
   * Key group `g`'s entry of `snapshotState().groups`, as the barrier found it. Called after
   * `checkpointParts()` returned, between batches, once per changed group: what the operator
   * captured must not change meanwhile (copies of its columns, values it only ever replaces).
   */
  part(g: number): unknown;
  /** The checkpoint is written (or failed): what the capture held (an lmdb read view) may go. */
  release?(): void;
}

/** Where a checkpoint found an operator's key groups: the `{ ...base, groups }` to restore, as blob keys. */
export interface PartsRef {
  $weirParts: 1;
  base: Record<string, unknown>;
  /** `[key group, blob key]`, the blob written by this checkpoint or an earlier completed one. */
  groups: Array<[number, string]>;
}

/** True when an operator's checkpointed state is a {@link PartsRef}. */
export function isPartsRef(x: unknown): x is PartsRef {
  return typeof x === 'object' && x !== null && (x as PartsRef).$weirParts === 1;
}

/**
 * Key of a key group blob: under `job/shared/`, not under its checkpoint's prefix, since later
 * checkpoints reference it too; the coordinator deletes it once no retained checkpoint does.
 */
export function partKey(job: string, actor: string, operator: number, group: number, checkpointId: number): string {
  return `${job}/shared/${actor}/op${operator}/kg${group}${partSuffix(checkpointId)}`;
}

/** How the key of every key group blob written by checkpoint `checkpointId` ends. */
export function partSuffix(checkpointId: number): string {
  return `-chk${String(checkpointId).padStart(6, '0')}`;
}

/** Every blob key a snapshot payload references through parts. */
export function referencedParts(payload: { operators: unknown[] }): string[] {
  const keys: string[] = [];
  for (const op of payload.operators) if (isPartsRef(op)) for (const [, k] of op.groups) keys.push(k);
  return keys;
}

/**
 * Replaces every {@link PartsRef} of a decoded checkpoint payload by the state it references,
 * reading and checking each blob (a missing or corrupt one fails naming it). With `keep`, only
 * key groups it accepts are read (a rescaled subtask reads its own).
 */
export async function resolveParts<P extends { operators: unknown[] }>(payload: P, store: SnapshotStore, expect: { job?: string; operator?: string }, keep: (group: number) => boolean = () => true): Promise<P> {
  if (!payload.operators.some(isPartsRef)) return payload;
  const operators = await Promise.all(
    payload.operators.map(async (op) => {
      if (!isPartsRef(op)) return op;
      const groups: unknown[] = [];
      for (const [g, key] of op.groups) {
        if (!keep(g)) continue;
        const bytes = await store.get(key);
        if (!bytes) throw new WeirError('WEIR_SNAPSHOT_MISSING', `key group ${g} of the checkpoint is missing (${store.describe()}/${key})`, { job: expect.job, operator: expect.operator });
        groups.push(decodeSnapshot(bytes, { job: expect.job, key }).payload);
      }
      return { ...op.base, groups };
    }),
  );
  return { ...payload, operators };
}
