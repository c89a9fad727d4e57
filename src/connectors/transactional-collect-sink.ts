import type { TwoPhaseCommitSink, TwoPhaseCommitWriter } from './sink.ts';

/**
 * An in-memory sink that commits exactly once with checkpoints: what `committed` holds is what
 * an external transactional system would show. For tests and examples of exactly-once output.
 * @example
 * ```ts
 * const sink = new TransactionalCollectSink<number>(); stream.sinkTo(sink); … sink.committed
 * ```
 */
export class TransactionalCollectSink<T> implements TwoPhaseCommitSink<T, { subtask: number; epoch: number; values: T[] }> {
  readonly name: string;
  readonly twoPhase = true as const;
  /** Committed records, in commit order. */
  readonly committed: T[] = [];
  /** Transactions pre-committed but not yet committed, by `subtask/epoch`. */
  private readonly prepared = new Map<string, T[]>();
  private readonly done = new Set<string>();

  constructor(name = 'transactional-collect') {
    this.name = name;
  }

  createWriter(subtask: number): TwoPhaseCommitWriter<T, { subtask: number; epoch: number; values: T[] }> {
    return {
      open: () => {},
      beginTransaction: (epoch) => ({ subtask, epoch, values: [] }),
      write: (txn, values) => {
        for (const v of values) txn.values.push(v);
      },
      preCommit: (txn) => {
        const key = `${txn.subtask}/${txn.epoch}`;
        this.prepared.set(key, txn.values);
        return key;
      },
      commit: (handle) => {
        const key = handle as string;
        if (this.done.has(key)) return; // idempotent: a replayed commit does nothing
        const values = this.prepared.get(key);
        if (!values) return;
        for (const v of values) this.committed.push(v);
        this.prepared.delete(key);
        this.done.add(key);
      },
      abort: (txn) => {
        this.prepared.delete(`${txn.subtask}/${txn.epoch}`);
      },
      recover: (committable) => {
        const keep = new Set(committable as string[]);
        for (const key of committable as string[]) {
          const values = this.prepared.get(key);
          if (values && !this.done.has(key)) {
            for (const v of values) this.committed.push(v);
            this.done.add(key);
          }
          this.prepared.delete(key);
        }
        for (const key of [...this.prepared.keys()]) if (key.startsWith(`${subtask}/`) && !keep.has(key)) this.prepared.delete(key);
      },
      close: () => {},
    };
  }
}
