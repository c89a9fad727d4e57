import type { AttemptFence } from '../runtime/attempt-fence.ts';
import type { Clock } from '../time/clock.ts';

/** What a source reader learns about where it runs. */
export interface SourceContext {
  job: string;
  operator: string;
  subtask: number;
  parallelism: number;
  clock: Clock;
  /** A clustered job's attempt fence (absent in one process): what leaves the process asks it first. */
  fence?: AttemptFence;
  /** Hands a record that cannot be read (bad line, no valid timestamp) to the dead-letter output. */
  deadLetter(error: unknown, record: unknown, position?: number): void;
}

/**
 * Reads one split of a source. Reads are synchronous and batch-oriented so the source actor runs
 * them in its scheduler turn; a reader that must wait (file, network) returns 0 and offers
 * {@link SourceReader.whenAvailable}.
 */
export interface SourceReader<T> {
  /** Prepares the reader (open files, connect). */
  open(ctx: SourceContext): Promise<void> | void;
  /**
   * Appends up to `max` records to `out` (and their event timestamps to `timestamps` when the
   * source has them). Returns how many were appended, or -1 when the input is exhausted.
   */
  read(out: T[], timestamps: number[] | null, max: number): number;
  /** Resolves when `read` may return records again; used after `read` returned 0. */
  whenAvailable?(): Promise<void>;
  /**
   * The reader's position, plain data; restored with {@link SourceReader.restore}. `checkpointId`
   * is given when the position belongs to that checkpoint (its completion is announced later).
   */
  snapshot(checkpointId?: number): unknown;
  /** Continues from a position `snapshot` returned. */
  restore(position: unknown): void;
  /** A checkpoint that covers everything read up to its barrier is complete (commit offsets now). */
  notifyCheckpointComplete?(checkpointId: number): Promise<void> | void;
  /** Releases resources. */
  close(): Promise<void> | void;
}

/**
 * A source: a factory of one reader per subtask.
 * @example
 * ```ts
 * const numbers: Source<number> = { name: 'numbers', createReader: (subtask, parallelism) => myReader(subtask, parallelism) }
 * ```
 */
export interface Source<T> {
  /** Operator name used in errors and metrics. */
  name: string;
  /** True when the records carry event timestamps of their own (the reader fills `timestamps`). */
  hasTimestamps?: boolean;
  /**
   * False when a restored reader cannot read again what it read after the restored position
   * (core NATS): the runtime then keeps the input of stateful operators itself instead of
   * relying on the source to replay it. Default true, as `restore` promises.
   */
  replayable?: boolean;
  /**
   * True when a restored reader reads again exactly the batches it read before (a deterministic
   * source without a rate limit), so operators whose output depends on where batches start may
   * run in its chain (see `Transformation.batchDriven`). Default false.
   */
  replaysSameBatches?: boolean;
  /** Creates the reader of one subtask. */
  createReader(subtask: number, parallelism: number): SourceReader<T>;
}
