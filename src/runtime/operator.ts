import type { AttemptFence } from './attempt-fence.ts';
import type { Clock } from '../time/clock.ts';
import type { InspectionBus } from './inspection.ts';
import type { StateBackendOption } from '../state/backends/state-backend-option.ts';
import type { CheckpointParts } from '../checkpoint/checkpoint-parts.ts';

/** Output arrays an operator appends to: values and, for timestamped streams, a parallel timestamps array. */
export interface BatchOut<T = unknown> {
  values: T[];
  /** Event time per value, or null when the stream carries no timestamps. */
  timestamps: number[] | null;
}

/**
 * Sizes `out`'s arrays for `count` more outputs and returns where they start: hot operators write
 * by index and then {@link trimOutput} (growing the arrays by push cost more than most steps).
 */
export function reserveOutput(out: BatchOut<any>, count: number): number {
  const base = out.values.length;
  out.values.length = base + count;
  if (out.timestamps !== null) out.timestamps.length = base + count;
  return base;
}

/** Cuts `out`'s arrays after the first `n` outputs (what was written since {@link reserveOutput}). */
export function trimOutput(out: BatchOut<any>, n: number): void {
  if (out.values.length === n) return;
  out.values.length = n;
  if (out.timestamps !== null) out.timestamps.length = n;
}

/** What an operator learns about where it runs. */
export interface OperatorContext {
  job: string;
  operator: string;
  subtask: number;
  parallelism: number;
  maxParallelism: number;
  clock: Clock;
  inspection: InspectionBus;
  /** Sends a record that cannot be processed to the dead-letter output; the job goes on. */
  deadLetter(error: unknown, record: unknown): void;
  /** Side output by tag (late data, user side outputs). */
  sideOutput(tag: string): BatchOut;
  /** The operator's current input watermark. */
  currentWatermark(): number;
  /** Where keyed state lives (the job's `stateBackend`; absent: the heap). */
  stateBackend?: StateBackendOption;
  /** The sampled (traced) records of the batch being processed, as [index, W3C traceparent] in ascending index order; empty when none (for span links, e.g. a window firing). */
  tracedRecords?(): ReadonlyArray<readonly [number, string]>;
  /** A clustered job's attempt and its fence (absent when the job runs in one process): side effects of a stale attempt are refused. */
  fence?: AttemptFence;
  /**
   * True when the job takes checkpoints: then an actor that reached the end of its input still
   * takes part in checkpoints and finishes only once a final one completed (FLIP-147), so a
   * two-phase-commit sink commits its last epoch with that checkpoint, not at end of input.
   */
  checkpointing?: boolean;
}

/**
 * An operator instance as the runtime drives it: a batch at a time, in one actor, never
 * concurrently. Records are appended to `out` with plain array pushes. State the operator needs
 * after a restart goes into {@link Operator.snapshotState} as plain data.
 *
 * Contract for exactly-once recovery: given the same restored state and the same input sequence,
 * an operator emits the same output sequence (no wall-clock or randomness in results).
 */
export interface Operator<I = unknown, O = unknown> {
  /** Operator name, used in errors, metrics and dead letters. */
  readonly name: string;
  /** True when the operator keeps state that must survive a restart. */
  readonly stateful: boolean;
  open?(ctx: OperatorContext): void | Promise<void>;
  /**
   * Processes one batch from input `input` (0 for single-input operators). Throw
   * {@link UserFunctionError} with the record's index when a user function fails. Only a sink may
   * return a promise: the actor takes no further input until it settles.
   */
  processBatch(values: I[], timestamps: number[] | null, input: number, out: BatchOut<O>): void | Promise<void>;
  /** The combined input watermark advanced to `watermark`; emit what it completes. */
  onWatermark?(watermark: number, out: BatchOut<O>): void;
  /** Processing time reached `now`; fire due processing-time timers. */
  onProcessingTime?(now: number, out: BatchOut<O>): void;
  /** The earliest processing-time timer, if any, so the actor can wake up for it. */
  nextProcessingTime?(): number | undefined;
  /** All inputs ended; emit what remains. */
  onEnd?(out: BatchOut<O>): void | Promise<void>;
  /** Plain, msgpackr-serialisable state. */
  snapshotState?(): unknown;
  /**
   * Changes since the last local snapshot (for frequent one-actor-recovery snapshots whose cost
   * must not grow with the whole state), and forgets them; with `all`, every entry in the same
   * layout (applied with `restoreDelta` on a fresh state, it gives the whole state back).
   * Absent: every local snapshot is full.
   */
  snapshotDelta?(all?: boolean): unknown;
  /**
   * True when a local snapshot may keep `snapshotDelta(true)` by reference instead of encoding it
   * (only with a volatile store): the values it holds are replaced, never changed in place, from
   * then on. Asked at every local snapshot and before restoring one; an operator that finds out
   * late that its values are changed in place answers false from then on. The actor keeps one
   * such snapshot: once it asks for the next, the operator may reuse what only the previous held.
   */
  snapshotByReference?(): boolean;
  /**
   * A full snapshot for one-actor recovery in this process only (never for a checkpoint): may
   * reference working state instead of copying it (an lmdb read view). Used instead of
   * `snapshotState()` for full local snapshots while {@link Operator.cheapLocalSnapshot} is true.
   */
  snapshotLocal?(): unknown;
  /** True when `snapshotLocal()` costs little whatever the state's size: local snapshots are then all full, no deltas. */
  cheapLocalSnapshot?(): boolean;
  /** Applies a delta on top of the restored state (deltas come in the order they were taken). */
  restoreDelta?(delta: unknown): void;
  /** A full local snapshot was just taken: forget the changes tracked so far. */
  clearDelta?(): void;
  /**
   * Keyed state for a checkpoint, by key group (see {@link CheckpointParts}): incremental and
   * packed after the barrier moved on. Undefined (or absent): the checkpoint takes `snapshotState()`.
   * The operator learns which checkpoint completed from `notifyCheckpointComplete`, and must
   * count every group as changed after any restore.
   */
  checkpointParts?(checkpointId: number): CheckpointParts | undefined;
  /** Restores what {@link Operator.snapshotState} returned (called before replay; may recover external transactions). */
  restoreState?(state: unknown): void | Promise<void>;
  /** Restores at a new parallelism from the states of every old subtask (keyed operators keep their key groups). */
  restoreRescaled?(states: unknown[]): void | Promise<void>;
  /** A checkpoint barrier passed this operator: return what must be stored with the checkpoint (2PC handles). */
  onBarrier?(checkpointId: number): unknown | Promise<unknown>;
  /** The checkpoint is complete everywhere. */
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>;
  close?(): void | Promise<void>;
}
