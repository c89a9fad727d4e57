import type { Transformation } from '../graph/transformation.ts';
import type { Source } from '../connectors/source.ts';
import type { SnapshotStore } from '../checkpoint/stores/snapshot-store.ts';
import type { Clock } from '../time/clock.ts';
import type { DeadLetter } from '../runtime/dead-letter.ts';
import type { SupervisionConfig } from '../runtime/supervisor.ts';
import type { InspectionBus } from '../runtime/inspection.ts';
import type { SeededRandom } from '../connectors/seeded-random.ts';
import { systemClock } from '../time/clock.ts';
import { defaultSupervision } from '../runtime/supervisor.ts';
import { MemorySnapshotStore } from '../checkpoint/stores/memory-store.ts';
import { buildPhysicalPlan } from '../graph/physical-plan.ts';
import type { JobHandle, JobResult, Distribution, JobRuntimeOptions } from '../runtime/job.ts';
import { runClustered, type ClusterOptions } from '../cluster/cluster-job.ts';
import { runWithRestarts } from '../checkpoint/job-recovery.ts';
import type { CheckpointConfig, CheckpointMetadata } from '../checkpoint/coordinator.ts';
import type { RestartStrategy } from '../checkpoint/restart-strategy.ts';
import { collectionSource } from '../connectors/collection-source.ts';
import { generatorSource, type GeneratorOptions } from '../connectors/generator-source.ts';
import { DataStream } from './data-stream.ts';
import { InvalidJobError } from '../errors.ts';
import { tableEnvironmentOf, type Table } from '../table/table-environment.ts';
import { encryptAtRest } from '../security/encrypted-store.ts';
import type { StateBackendOption } from '../state/backends/state-backend-option.ts';

/** Settings of a {@link StreamEnvironment}; every field has a sensible default. */
export interface EnvironmentOptions {
  /** Default parallelism of operators (default 1). */
  parallelism?: number;
  /** Number of key groups: the most parallelism a keyed operator can ever be rescaled to (default 128). */
  maxParallelism?: number;
  /** Records per batch (default 1024). */
  batchSize?: number;
  /** Envelopes a channel holds: the credits of its sender (default 8). */
  channelCapacity?: number;
  /** Input batches between an actor's local snapshots (default 32; later when the last snapshot was costly; a stateful source chain: `sourceReplayLimit`). */
  snapshotEvery?: number;
  /** Input batches an actor retains for replay at most (default 2 × snapshotEvery); a full log forces a snapshot. Retained batches cost GC time, so this stays small. */
  replayLimit?: number;
  /**
   * Batches a stateful source chain (a source with the running reduces fused behind it) reads at
   * most between its local snapshots (default 32 × snapshotEvery, 1024 batches): after a failure
   * it reads them again from the source. It retains nothing meanwhile, so this can be far larger
   * than `replayLimit`.
   */
  sourceReplayLimit?: number;
  /**
   * Where keyed state (of `process()` functions) lives while the job runs: `'heap'` (default) or
   * `'lmdb'`, an embedded disk store behind a write cache, for state larger than memory. Snapshots
   * and checkpoints have the same layout either way, so a job may switch between runs.
   */
  stateBackend?: StateBackendOption;
  /** Where actor snapshots go (default: in memory). */
  snapshotStore?: SnapshotStore;
  clock?: Clock;
  /** Restart strategy, intensity and backoff of the job's supervisor. */
  supervision?: SupervisionConfig;
  /** What to do with a record that keeps failing: dead-letter it (default) or fail the job. */
  onPoisonRecord?: 'dead-letter' | 'fail';
  /** Receives every dead letter as it happens. */
  onDeadLetter?: (letter: DeadLetter) => void;
  /** Subscribe to runtime events (telemetry). */
  inspection?: InspectionBus;
  /** Periodic aligned checkpoints for job-level recovery and exactly-once sinks. */
  checkpointing?: CheckpointConfig;
  /** How the job restarts from its last checkpoint after a job-level failure (default with checkpointing: 3 attempts, 100 ms apart). */
  restartStrategy?: RestartStrategy;
  /**
   * Start from this completed checkpoint or savepoint (see `latestCheckpoint`). State is matched
   * by operator uid (see `DataStream.uid`), so a job may change its chaining, names and
   * parallelism between runs; give stateful operators a `uid()` to rename them safely.
   */
  restoreFrom?: CheckpointMetadata;
  /** Restoring may drop state of operators the job no longer has (default false: such a restore fails and names them). */
  allowNonRestoredState?: boolean;
  /**
   * Share of source records followed through the job with OpenTelemetry spans, e.g. 0.001
   * (default 0: no record tracing, nothing on the hot path). Spans and metrics go to whatever
   * OpenTelemetry SDK the application registered (the `weir` CLI sets one up from `OTEL_*`).
   */
  traceSampleRate?: number;
  /** Run this process's share of the job and reach the rest over the network (see `natsDistribution`); absent: everything in this process. */
  distribution?: Distribution;
  /** Run this node's part of a job spread over several nodes on NATS, with checkpoints and rollback across them (the `weir run --nats` CLI sets it). */
  cluster?: ClusterOptions;
}

/**
 * Options every environment created in this process starts from (a job's own options win). The
 * `weir` CLI sets `traceSampleRate` here from `--trace-sample`.
 * @internal
 */
export const environmentDefaults: EnvironmentOptions = {};

/**
 * Options that win over a job's own (the CLI's `--parallelism`, `--from-savepoint`).
 * @internal
 */
export const environmentOverrides: EnvironmentOptions = {};

/**
 * Jobs running in this process (the CLI takes savepoints of them on `weir savepoint <pid>`).
 * @internal
 */
export const activeJobs = new Set<JobHandle>();

/**
 * Where a job is composed and run: create sources, transform the streams, then `execute`.
 * Runs embedded in this process; the same job runs on `weir node`s over NATS.
 * @example
 * ```ts
 * const env = StreamEnvironment.create({ parallelism: 2 })
 * const sink = new CollectSink<number>()
 * env.fromCollection([1, 2, 3]).map((x) => x * 2).sinkTo(sink)
 * await env.execute('double')
 * ```
 */
export class StreamEnvironment {
  readonly options: Required<Omit<EnvironmentOptions, 'onDeadLetter' | 'inspection' | 'supervision' | 'snapshotStore' | 'stateBackend' | 'checkpointing' | 'restartStrategy' | 'restoreFrom' | 'allowNonRestoredState' | 'traceSampleRate' | 'distribution' | 'cluster'>> & EnvironmentOptions;
  /** @internal The logical plan so far, in creation order. */
  readonly transformations: Transformation[] = [];
  private nextId = 1;

  private constructor(options: EnvironmentOptions) {
    const snapshotEvery = options.snapshotEvery ?? 32;
    this.options = {
      parallelism: 1,
      maxParallelism: 128,
      batchSize: 1024,
      channelCapacity: 8,
      replayLimit: snapshotEvery * 2,
      sourceReplayLimit: snapshotEvery * 32,
      clock: systemClock,
      onPoisonRecord: 'dead-letter',
      ...environmentDefaults,
      ...options,
      ...environmentOverrides,
      snapshotEvery,
    };
    for (const k of ['parallelism', 'maxParallelism', 'batchSize', 'channelCapacity', 'snapshotEvery', 'replayLimit', 'sourceReplayLimit'] as const) {
      const v = this.options[k];
      if (!Number.isInteger(v) || v < 1) throw new InvalidJobError(`environment option '${k}' must be a positive integer, got ${v}`);
    }
    if (this.options.parallelism > this.options.maxParallelism) throw new InvalidJobError(`parallelism ${this.options.parallelism} exceeds maxParallelism ${this.options.maxParallelism}`);
  }

  /** Creates an environment. */
  static create(options: EnvironmentOptions = {}): StreamEnvironment {
    return new StreamEnvironment(options);
  }

  /** A stream from any {@link Source}. */
  fromSource<T>(source: Source<T>, name?: string): DataStream<T> {
    return new DataStream<T>(this, this.add({ name: name ?? source.name, kind: 'source', inputs: [], chaining: 'default', source: source as Source<unknown> }));
  }

  /** A bounded stream of the given items. */
  fromCollection<T>(items: readonly T[], name = 'collection'): DataStream<T> {
    return this.fromSource(collectionSource(items, name));
  }

  /** A seeded, reproducible stream: record i is `fn(i, random)`. */
  fromGenerator<T>(fn: (index: number, random: SeededRandom) => T, options: GeneratorOptions): DataStream<T> {
    return this.fromSource(generatorSource(fn, options));
  }

  /**
   * Plans SQL statements into this job (the table environment of this environment): CREATE TABLE
   * and CREATE VIEW are registered, each INSERT INTO … SELECT adds its sink, each SELECT is returned
   * as a table. Nothing runs until `execute()`.
   * @example
   * ```ts
   * env.sql(`CREATE TABLE t (…) WITH ('connector' = 'generator'); CREATE TABLE out (…) WITH ('connector' = 'print'); INSERT INTO out SELECT … FROM t`)
   * await env.execute()
   * ```
   */
  sql(statements: string): Table[] {
    return tableEnvironmentOf(this).sql(statements);
  }

  /** @internal Adds a node to the logical plan. */
  add(t: Omit<Transformation, 'id'>): Transformation {
    const node = { ...t, id: this.nextId++ } as Transformation;
    this.transformations.push(node);
    return node;
  }

  /** Runs the job composed so far and resolves with its result when it completes. */
  execute(name = 'weir-job'): Promise<JobResult> {
    return this.executeAsync(name).done;
  }

  /** Starts the job and returns a handle at once (await `done`, `cancel()`, `metrics()`). */
  executeAsync(name = 'weir-job'): JobHandle {
    if (this.transformations.length === 0) throw new InvalidJobError('the job has no operators: add a source, e.g. env.fromCollection([...]), before execute()');
    const sinks = this.transformations.filter((t) => t.kind === 'sink');
    if (sinks.length === 0) throw new InvalidJobError("the job has no sink: add one with stream.sinkTo(...) or stream.print() before execute()");
    const plan = buildPhysicalPlan(this.transformations, this.options.parallelism);
    const o = this.options;
    if (o.distribution && o.checkpointing) throw new InvalidJobError('a job placed with a bare distribution has no cluster coordinator for its checkpoints: use the cluster option (weir run --nats) instead');
    const strategy: RestartStrategy = o.restartStrategy ?? (o.checkpointing ? { kind: 'fixed-delay', attempts: 3, delayMs: 100 } : { kind: 'none' });
    const runtime: JobRuntimeOptions = {
      maxParallelism: o.maxParallelism,
      stateBackend: o.stateBackend,
      batchSize: o.batchSize,
      channelCapacity: o.channelCapacity,
      snapshotEvery: o.snapshotEvery,
      replayLimit: o.replayLimit,
      sourceReplayLimit: o.sourceReplayLimit,
      // Encrypted at rest when WEIR_STATE_KEY / WEIR_STATE_KEY_FILE is set (src/security).
      store: encryptAtRest(o.snapshotStore ?? new MemorySnapshotStore()),
      clock: o.clock,
      supervision: { ...defaultSupervision, ...o.supervision, backoff: { ...defaultSupervision.backoff, ...o.supervision?.backoff } },
      poisonPolicy: o.onPoisonRecord,
      onDeadLetter: o.onDeadLetter,
      deadLetterMemory: 10_000,
      inspection: o.inspection,
      checkpoint: o.checkpointing,
      restoreFrom: o.restoreFrom,
      allowNonRestoredState: o.allowNonRestoredState,
      traceSampleRate: o.traceSampleRate,
      distribution: o.distribution,
    };
    const handle = o.cluster ? runClustered(name, plan, runtime, strategy, o.cluster) : runWithRestarts(name, plan, runtime, strategy);
    activeJobs.add(handle);
    void handle.done.catch(() => {}).finally(() => activeJobs.delete(handle));
    return handle;
  }
}
