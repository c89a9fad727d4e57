import type { BatchOut, Operator, OperatorContext } from '../src/runtime/operator.ts';
import type { SinkOperator } from '../src/runtime/chain-runner.ts';
import type { TwoPhaseCommitSink, TwoPhaseCommitWriter } from '../src/connectors/sink.ts';
import { checkIfSuspect, type AttemptFence } from '../src/runtime/attempt-fence.ts';

interface TwoPhaseState {
  epoch: number;
  /** Pre-committed transactions waiting for their checkpoint to complete: [checkpoint id, handle]. */
  committable: Array<[number, unknown]>;
  /** Taken after end of input (absent in snapshots of earlier versions). */
  ended?: boolean;
}

/**
 * Runs a {@link TwoPhaseCommitSink}: records of an epoch go into one transaction; at a barrier it
 * is pre-committed and a new one begins; when the checkpoint completes it is committed. After a
 * restore, the pre-committed transactions of the restored state are committed again (commit is
 * idempotent) and the writer aborts anything else it left behind.
 */
export class TwoPhaseSinkRunner<T, Txn> implements Operator<T, never>, SinkOperator {
  readonly sink = true as const;
  /** Marks the actor as holding an external transaction: its failures roll the job back (no one-actor recovery). */
  readonly twoPhase = true as const;
  readonly stateful = true;
  readonly name: string;
  private readonly writer: TwoPhaseCommitWriter<T, Txn>;
  private epoch = 1;
  private txn: Txn | undefined;
  private committable: Array<[number, unknown]> = [];

  constructor(sink: TwoPhaseCommitSink<T, Txn>, subtask: number, parallelism: number) {
    this.name = sink.name;
    this.writer = sink.createWriter(subtask, parallelism);
  }

  private subtask = 0;
  /** A clustered job's attempt fence: a stalled node's stale attempt neither stages nor commits. */
  private fence: AttemptFence | undefined;
  /** The job checkpoints: the last epoch commits with the final checkpoint, not at end of input. */
  private checkpointing = false;
  /** End of input reached: no more records, so later barriers need no new (empty) transaction. */
  private ended = false;

  async open(ctx: OperatorContext): Promise<void> {
    this.subtask = ctx.subtask;
    this.fence = ctx.fence;
    this.checkpointing = ctx.checkpointing === true;
    await this.writer.open({ job: ctx.job, operator: ctx.operator, subtask: ctx.subtask, parallelism: ctx.parallelism, clock: ctx.clock, fence: ctx.fence });
  }

  async processBatch(values: T[], timestamps: number[] | null, _input: number, _out: BatchOut<never>): Promise<void> {
    // Per batch only a clock read: the shared state is asked only after this process stalled.
    const suspect = checkIfSuspect(this.fence);
    if (suspect) await suspect;
    if (this.txn === undefined) this.txn = await this.writer.beginTransaction(this.epoch);
    await this.writer.write(this.txn, values, timestamps);
  }

  async onBarrier(checkpointId: number): Promise<unknown> {
    if (this.txn === undefined && this.ended) return null;
    const suspect = checkIfSuspect(this.fence);
    if (suspect) await suspect;
    if (this.txn === undefined) this.txn = await this.writer.beginTransaction(this.epoch);
    const handle = await this.writer.preCommit(this.txn);
    this.committable.push([checkpointId, handle]);
    this.epoch = checkpointId + 1;
    this.txn = undefined;
    return handle;
  }

  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    const ready = this.committable.filter(([id]) => id <= checkpointId);
    // A commit of an abandoned attempt would publish what its successor publishes again.
    if (ready.length > 0) await this.fence?.check();
    for (const [, handle] of ready) await this.writer.commit(handle);
    this.committable = this.committable.filter(([id]) => id > checkpointId);
  }

  snapshotState(): TwoPhaseState {
    return { epoch: this.epoch, committable: this.committable, ended: this.ended };
  }

  async restoreState(state: unknown): Promise<void> {
    const s = state as TwoPhaseState | null;
    if (this.txn !== undefined) await this.writer.abort(this.txn);
    this.txn = undefined;
    this.ended = s?.ended === true;
    this.epoch = s?.epoch ?? 1;
    this.committable = s?.committable.slice() ?? [];
    // Recovery commits, and aborts what others left staged: only the current attempt may.
    await this.fence?.check();
    await this.writer.recover(this.committable.map(([, h]) => h));
    this.committable = [];
  }

  /** Rescaled restore: subtask 0 commits every old subtask's pre-committed transactions (commits are idempotent). */
  async restoreRescaled(states: unknown[]): Promise<void> {
    const all = (states as Array<TwoPhaseState | null>).flatMap((s) => s?.committable ?? []);
    const epoch = Math.max(1, ...(states as Array<TwoPhaseState | null>).map((s) => s?.epoch ?? 1));
    await this.restoreState(this.subtask === 0 ? { epoch, committable: all } : { epoch, committable: [] });
  }

  async onEnd(): Promise<void> {
    this.ended = true;
    // With checkpoints the last epoch is pre-committed at the next barrier and committed when that
    // checkpoint completes (the actor finishes only after a final one): committing here, outside any
    // checkpoint, would commit it again after a rollback to an earlier checkpoint.
    if (this.checkpointing) return;
    // Without checkpoints there is no rollback: everything commits now, in order.
    if (this.txn !== undefined) {
      this.committable.push([Infinity, await this.writer.preCommit(this.txn)]);
      this.txn = undefined;
    }
    if (this.committable.length > 0) await this.fence?.check();
    for (const [, handle] of this.committable) await this.writer.commit(handle);
    this.committable = [];
  }

  close(): void | Promise<void> {
    return this.writer.close();
  }
}
