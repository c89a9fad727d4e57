import type { Operator } from '../runtime/operator.ts';
import type { Partitioning } from '../runtime/partitioner.ts';
import type { Source } from '../connectors/source.ts';
import type { Sink, TwoPhaseCommitSink } from '../connectors/sink.ts';
import type { TransformStep } from '../../actors/chain/fused-transform.ts';

/** An edge of the logical plan: where a transformation reads from and how records are spread. */
export interface TransformationInput {
  from: Transformation;
  partitioning: Partitioning;
  /** Which logical input of the receiving operator (0 or 1 for connected streams). */
  logicalInput: number;
  /** Reads the producer's side output with this tag instead of its main output. */
  sideTag?: string;
}

/**
 * A node of the logical plan, as the DataStream API records it. The physical planner chains
 * nodes into actors; the job builder instantiates one operator per node per subtask.
 */
export interface Transformation {
  id: number;
  name: string;
  uid?: string;
  /** Undefined: the environment's default parallelism. */
  parallelism?: number;
  kind: 'source' | 'step' | 'operator' | 'sink';
  inputs: TransformationInput[];
  /** 'never': not chained at all; 'head': starts a new chain but later nodes may join it. */
  chaining: 'default' | 'never' | 'head';
  /**
   * Its output depends only on the records it receives, in order: not on watermarks, timers,
   * processing time or where batches start. Such a keyed operator may run in its producer's
   * chain when both run at parallelism 1 (nothing to shuffle), since replaying the producer's
   * input reproduces its output exactly.
   */
  recordDriven?: boolean;
  /**
   * Its output depends on the records and on where batches start (an event-time window: the
   * watermarks it fires on come once per batch), not on timers or processing time. Such a keyed
   * operator may run in its producer's chain at parallelism 1 when a replay reproduces those
   * batches: behind an actor (which replays its logged input envelopes) or a source whose reader
   * reads the same batches again (`Source.replaysSameBatches`).
   */
  batchDriven?: boolean;
  source?: Source<unknown>;
  step?: TransformStep;
  createOperator?: (subtask: number, parallelism: number) => Operator;
  sink?: Sink<unknown> | (TwoPhaseCommitSink<unknown> & Partial<Sink<unknown>>);
}
