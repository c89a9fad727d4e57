import type { AttemptFence } from '../runtime/attempt-fence.ts';
import type { Clock } from '../time/clock.ts';

/** What a sink writer learns about where it runs. */
export interface SinkContext {
  job: string;
  operator: string;
  subtask: number;
  parallelism: number;
  clock: Clock;
  /** A clustered job's attempt fence (absent in one process): what leaves the process asks it first. */
  fence?: AttemptFence;
}

/**
 * Writes one subtask's records. `write` may return a promise: the sink actor takes no further
 * batch until it settles, which is how a slow sink slows the whole pipeline (no buffering).
 */
export interface SinkWriter<T> {
  open(ctx: SinkContext): Promise<void> | void;
  write(values: T[], timestamps: number[] | null): Promise<void> | void;
  /** End of input: flush whatever is buffered. */
  finish?(): Promise<void> | void;
  close(): Promise<void> | void;
}

/**
 * A sink: a factory of one writer per subtask.
 * @example
 * ```ts
 * const logSink: Sink<string> = { name: 'log', createWriter: () => ({ open() {}, write(vs) { vs.forEach(v => console.log(v)) }, close() {} }) }
 * ```
 */
export interface Sink<T> {
  name: string;
  createWriter(subtask: number, parallelism: number): SinkWriter<T>;
}

/**
 * A sink that commits exactly once with checkpoints (two-phase commit, as Flink's
 * TwoPhaseCommitSinkFunction): records of one epoch (the span between two checkpoint barriers)
 * go into one transaction; at the barrier the transaction is pre-committed (made durable but not
 * visible) and its handle is part of the checkpoint; when the checkpoint completes it is
 * committed. On recovery, pre-committed transactions of the restored checkpoint are committed
 * again (idempotently) and everything else is aborted.
 */
export interface TwoPhaseCommitWriter<T, Txn> {
  open(ctx: SinkContext): Promise<void> | void;
  /** Opens the transaction for `epoch` (epoch = the id of the next checkpoint). */
  beginTransaction(epoch: number): Promise<Txn> | Txn;
  write(txn: Txn, values: T[], timestamps: number[] | null): Promise<void> | void;
  /** At the barrier: make `txn` durable; returns the plain-data handle stored in the checkpoint. */
  preCommit(txn: Txn): Promise<unknown> | unknown;
  /** The checkpoint completed: make it visible. Must be idempotent (it is repeated after recovery). */
  commit(handle: unknown): Promise<void> | void;
  /** Drop a transaction that will never commit. */
  abort(txn: Txn): Promise<void> | void;
  /** After restore: commit `committable` (pre-committed in the restored checkpoint), abort any other leftovers. */
  recover(committable: unknown[]): Promise<void> | void;
  close(): Promise<void> | void;
}

/** A two-phase-commit sink: a factory of one writer per subtask. */
export interface TwoPhaseCommitSink<T, Txn = unknown> {
  name: string;
  twoPhase: true;
  createWriter(subtask: number, parallelism: number): TwoPhaseCommitWriter<T, Txn>;
}
