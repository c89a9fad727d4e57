import type { AttemptFence } from './attempt-fence.ts';
import type { PhysicalPlan, ChainPlan } from '../graph/physical-plan.ts';
import type { Operator } from './operator.ts';
import type { SnapshotStore } from '../checkpoint/stores/snapshot-store.ts';
import type { Clock } from '../time/clock.ts';
import type { DeadLetter } from './dead-letter.ts';
import type { InputChannel, OutputChannel } from '../transport/channel.ts';
import type { Partitioning } from './partitioner.ts';
import type { SupervisionOptions } from './supervisor.ts';
import type { InspectionBus } from './inspection.ts';
import { LocalChannel } from '../transport/local-channel.ts';
import { OutputGate } from './output-gate.ts';
import { TaskActor } from './task-actor.ts';
import { Supervisor } from './supervisor.ts';
import { ActorSystem } from './actor-system.ts';
import { FusedTransform, type TransformStep } from '../../actors/chain/fused-transform.ts';
import { SinkRunner } from '../../actors/sink.ts';
import { TwoPhaseSinkRunner } from '../../actors/two-phase-sink.ts';
import type { TwoPhaseCommitSink } from '../connectors/sink.ts';
import { JobCancelledError, JobFailedError, InvalidJobError, causeText } from '../errors.ts';
import { CheckpointCoordinator, type CheckpointConfig, type CheckpointMetadata, type CheckpointParticipant, type CheckpointSource } from '../checkpoint/coordinator.ts';
import { actorCheckpointName, chainCheckpointName } from '../checkpoint/checkpoint-keys.ts';
import { assignState, operatorIds } from '../checkpoint/state-assignment.ts';
import { SettlingStore } from '../checkpoint/stores/settling-store.ts';
import type { StateBackendOption } from '../state/backends/state-backend-option.ts';
import type { Transformation } from '../graph/transformation.ts';
import { toDeadLetter } from './dead-letter.ts';
import { RecordTracer } from '../telemetry/record-tracer.ts';
import { instrumentJob } from '../telemetry/job-metrics.ts';
import { traceLifecycle } from '../telemetry/lifecycle-spans.ts';

/** Runtime settings of a job (the environment's configuration). */
export interface JobRuntimeOptions {
  maxParallelism: number;
  /** Where keyed state lives (absent: the heap). */
  stateBackend?: StateBackendOption;
  batchSize: number;
  channelCapacity: number;
  snapshotEvery: number;
  replayLimit: number;
  sourceReplayLimit: number;
  store: SnapshotStore;
  clock: Clock;
  supervision: SupervisionOptions;
  poisonPolicy: 'dead-letter' | 'fail';
  onDeadLetter?: (letter: DeadLetter) => void;
  /** Most dead letters kept in the job result (all are counted and passed to `onDeadLetter`). */
  deadLetterMemory: number;
  inspection?: InspectionBus;
  /** Periodic aligned checkpoints (absent: none). */
  checkpoint?: CheckpointConfig;
  /** Start every actor from this completed checkpoint (job-level recovery, savepoints). */
  restoreFrom?: CheckpointMetadata;
  /** Restoring `restoreFrom` may drop the state of operators the job no longer has (Flink's --allowNonRestoredState). */
  allowNonRestoredState?: boolean;
  /** Share of source records followed with spans (0 or absent: no record tracing at all). */
  traceSampleRate?: number;
  /** Run only this process's share of the subtasks, connected to the others over a network (absent: all subtasks, in process). */
  distribution?: Distribution;
  /** Checkpoints across processes: set by the cluster runner together with `distribution`. */
  cluster?: ClusterHooks;
  /** A clustered job's attempt fence (set by the cluster runner per attempt). */
  fence?: AttemptFence;
}

/**
 * How a job's part on one node takes part in cluster-wide checkpoints: the leader's coordinator
 * also drives stand-ins for the actors elsewhere; the other nodes report to it.
 */
export interface ClusterHooks {
  leader: boolean;
  remoteActors: CheckpointParticipant[];
  remoteSources: CheckpointSource[];
  /** Non-leaders: where local acknowledgements and declines go; every node: finished actors. */
  report: {
    acknowledge(name: string, checkpointId: number, key: string, bytes: number, shared?: string[], ended?: boolean): void;
    decline(name: string, checkpointId: number, reason: string): void;
    finished(name: string): void;
    /** Non-leaders: a local actor reached its end of input (the coordinator takes the final checkpoint sooner). */
    ended?(name: string): void;
  };
  /** Connects this node's actors (and the leader's coordinator) to the control plane; returns a detach function. */
  attach(local: { actors: TaskActor[]; sources: TaskActor[]; coordinator: CheckpointCoordinator | undefined }): () => void;
}

/**
 * Where subtasks run when a job spans several processes: this process runs the subtasks for
 * which `isLocal` is true; an edge whose other end is elsewhere gets a network channel.
 */
export interface Distribution {
  /** Called once with the plan before any other method. */
  bind(plan: PhysicalPlan, job: string): void;
  isLocal(chain: number, subtask: number): boolean;
  output(id: string, edge: number, from: number, to: number): OutputChannel;
  /** `deadLetter` receives frames that cannot be used; `fail` a loss the job must roll back from. */
  input(id: string, edge: number, from: number, to: number, capacity: number, deadLetter: (error: Error, raw: Uint8Array, source: string) => void, fail: (error: Error) => void): InputChannel;
}

/** What a finished job reports. */
export interface JobResult {
  name: string;
  status: 'completed';
  /** Records the sources read. */
  recordsIn: number;
  /** Records written by sinks. */
  recordsOut: number;
  /** Restarts: one-actor recoveries plus whole-job rollbacks. */
  restarts: number;
  /** Whole-job rollbacks to a checkpoint. */
  jobRestarts?: number;
  /** Dead letters: the first `deadLetterMemory` of them, and how many in all. */
  deadLetters: DeadLetter[];
  deadLetterCount: number;
  durationMs: number;
}

/** Live figures of a running job. */
export interface JobMetrics {
  actors: Array<{
    id: string;
    /** Chain (operator) name and subtask. */
    operator: string;
    subtask: number;
    state: string;
    restarts: number;
    inputPeaks: number[];
    capacity: number;
    recordsIn: number;
    recordsOut: number;
    busyMs: number;
    backpressuredMs: number;
    mailboxDepth: number;
    watermark: number;
    /** Most input batches the actor held for replay at once (bounded by `replayLimit`). */
    replayLogPeak: number;
    /** Records sent so far on each output channel (id `<job>.<edge>.<fromSubtask>.<toSubtask>`). */
    outputs: Array<{ channel: string; records: number }>;
  }>;
  recordsIn: number;
  recordsOut: number;
  restarts: number;
  deadLetters: number;
  /** The newest sampled records' traces (traceparent and the chain they started at), newest first; empty without tracing. */
  sampledTraces: Array<{ traceparent: string; operator: string }>;
  /** The job's graph: chains (one actor per subtask) and the edges between them, by chain index. */
  graph: JobGraph;
}

/** The shape of a job for status views: chains with their parallelism and members, and edges. */
export interface JobGraph {
  chains: Array<{ name: string; parallelism: number; operators: string[] }>;
  edges: Array<{ from: number; to: number; partitioning: Partitioning['kind']; sideTag?: string }>;
}

/**
 * A job that runs (or ran) in this process.
 * @example
 * ```ts
 * const job = env.executeAsync('counts'); setTimeout(() => job.cancel(), 1000); await job.done
 * ```
 */
export interface JobHandle {
  readonly name: string;
  /** Resolves when every actor finished; rejects with {@link JobFailedError} or {@link JobCancelledError}. */
  readonly done: Promise<JobResult>;
  cancel(): Promise<void>;
  metrics(): JobMetrics;
  /** The actor system the job runs in (tests look at actors and channels). */
  readonly system: ActorSystem;
  /** Takes a checkpoint now (needs checkpointing configured); resolves when it completed. */
  checkpoint(): Promise<CheckpointMetadata>;
  /** Takes a savepoint: a checkpoint kept until deleted, to restore from later, possibly rescaled. */
  savepoint(): Promise<CheckpointMetadata>;
}

/** Builds the actors and channels of a physical plan and runs them until every actor finishes. */
export function runJob(name: string, plan: PhysicalPlan, options: JobRuntimeOptions): JobHandle {
  const system = new ActorSystem({ clock: options.clock, inspection: options.inspection });
  const tracer = options.traceSampleRate ? new RecordTracer(name, options.traceSampleRate) : undefined;
  const deadLetters: DeadLetter[] = [];
  let deadLetterCount = 0;
  const store = new SettlingStore(options.store);
  let settled = false;
  let resolveDone!: (r: JobResult) => void;
  let rejectDone!: (e: Error) => void;
  const done = new Promise<JobResult>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  const startedAt = options.clock.now();
  const root = new Supervisor(`${name}/root`, { ...options.supervision, clock: options.clock, onEscalate: (e) => fail(e) });
  const actors: TaskActor[] = [];
  const sinkCounters: Array<() => number> = [];
  const sourceActors: TaskActor[] = [];

  let coordinator: CheckpointCoordinator | undefined;
  let spawning: Promise<void> = Promise.resolve();
  const finish = async (error?: Error) => {
    if (settled) return;
    settled = true;
    coordinator?.stop();
    for (const a of actors) a.stop();
    // An actor still opening its source or sink is closed once that open is over, or its connection outlives the job
    // (and keeps the process alive). Bounded: an open stuck on a lost server must not hold up a rollback.
    let grace: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([spawning, new Promise<void>((r) => (grace = setTimeout(r, 10_000)).unref())]);
    clearTimeout(grace);
    await Promise.allSettled(actors.map((a) => a.close()));
    // Snapshot writes and checkpoint clean-up still in flight finish before the job says it ended
    // (bounded: a store behind a lost connection must not hold up a rollback).
    await store.settled(2000).catch(() => {});
    // Every channel is closed and the end reported even when a close throws (a connection that broke under a channel):
    // a throw here left `done` unsettled for ever.
    for (const c of allChannels) {
      try {
        c.close();
      } catch {
        // Its connection is gone: nothing left to release.
      }
    }
    try {
      detachCluster?.();
    } catch {
      // The cluster connection is gone: its subscriptions went with it.
    }
    system.inspection.emit({ type: 'job.finished', job: name, status: error ? (error instanceof JobCancelledError ? 'cancelled' : 'failed') : 'completed', error });
    if (error) rejectDone(error);
    else resolveDone({ name, status: 'completed', recordsIn: recordsIn(), recordsOut: recordsOut(), restarts: restarts(), deadLetters, deadLetterCount, durationMs: options.clock.now() - startedAt });
  };
  const fail = (e: Error) => void finish(e instanceof JobFailedError || e instanceof JobCancelledError ? e : new JobFailedError(name, e));
  const recordsIn = () => sourceActors.reduce((n, a) => n + a.recordsRead, 0);
  const recordsOut = () => sinkCounters.reduce((n, c) => n + c(), 0);
  const restarts = () => actors.reduce((n, a) => n + a.restarts, 0);

  /** Where each new subtask restores from: its own old snapshot, or all old ones when the parallelism changed. */
  const restoreKeys = (chain: ChainPlan, subtask: number): { restoreFrom?: string; rescaleFrom?: string[] } => {
    const meta = options.restoreFrom;
    if (!meta) return {};
    const old = Object.keys(meta.actors).filter((a) => a.replace(/-\d+$/, '') === chainCheckpointName(chain.name));
    if (old.length === 0) throw new InvalidJobError(`checkpoint ${meta.id} has no state for '${chain.name}': was the job changed since it was taken (operators, names, or chaining: at another parallelism operators chain differently unless the source side keeps its parallelism with setParallelism)?`);
    if (old.length === chain.parallelism) return { restoreFrom: meta.actors[actorCheckpointName(chain.name, subtask)] };
    return { rescaleFrom: old.map((a) => meta.actors[a]!) };
  };

  const ids = operatorIds(plan);
  const layouts = new Map(plan.chains.map((c) => [c, layoutOf(c, ids)] as const));
  const chainOfActor = new Map<TaskActor, ChainPlan>();
  /** Tells every local actor how it restores: exactly, by chain name (snapshots without uids), or from state assigned by operator uid. */
  const assignRestores = async () => {
    const assignment = await assignState(options.restoreFrom!, store, plan, layouts, options.allowNonRestoredState);
    for (const a of actors) {
      const chain = chainOfActor.get(a)!;
      if (assignment.kind === 'byUid') a.restoreWith({ assigned: assignment.states.get(a.checkpointName)! });
      else a.restoreWith(restoreKeys(chain, a.subtask));
    }
  };

  // Channels: one per (edge, sending subtask, receiving subtask); over the network when only one end runs here.
  const dist = options.distribution;
  const cluster = options.cluster;
  dist?.bind(plan, name);
  const isLocal = (chain: number, subtask: number) => dist === undefined || dist.isLocal(chain, subtask);
  const frameLetter = (error: Error, raw: Uint8Array, source: string) => {
    deadLetterCount++;
    const letter = toDeadLetter(error, raw, { job: name, operator: `channel ${source}`, subtask: -1, source });
    if (deadLetters.length < options.deadLetterMemory) deadLetters.push(letter);
    options.onDeadLetter?.(letter);
    system.inspection.emit({ type: 'deadLetter', job: name, letter: { operator: letter.operator, subtask: -1, reason: letter.reason, code: letter.code, record: letter.record } });
  };
  const allChannels: Array<InputChannel | OutputChannel> = [];
  const inputsOf = new Map<string, Array<{ channel: InputChannel; logicalInput: number }>>();
  const routesOf = new Map<string, Map<string, Array<{ channels: OutputChannel[]; partitioning: Partitioning }>>>();
  plan.edges.forEach((edge, e) => {
    const from = plan.chains[edge.from]!;
    const to = plan.chains[edge.to]!;
    for (let s = 0; s < from.parallelism; s++) {
      const targets = edge.partitioning.kind === 'forward' ? [s] : range(to.parallelism);
      const senderHere = isLocal(from.index, s);
      const channels = targets.map((r) => {
        const id = `${name}.${e}.${s}.${r}`;
        const receiverHere = isLocal(to.index, r);
        let input: InputChannel | undefined;
        let output: OutputChannel | undefined;
        if (senderHere && receiverHere) input = output = new LocalChannel(id, options.channelCapacity);
        else if (senderHere) output = dist!.output(id, e, s, r);
        else if (receiverHere) input = dist!.input(id, e, s, r, options.channelCapacity, frameLetter, (error) => fail(error));
        if (input) allChannels.push(input);
        if (output && (output as unknown) !== input) allChannels.push(output);
        if (input) {
          const key = `${to.index}/${r}`;
          if (!inputsOf.has(key)) inputsOf.set(key, []);
          inputsOf.get(key)!.push({ channel: input, logicalInput: edge.logicalInput });
        }
        return output;
      });
      if (!senderHere) continue;
      const fromKey = `${from.index}/${s}`;
      if (!routesOf.has(fromKey)) routesOf.set(fromKey, new Map());
      const byTag = routesOf.get(fromKey)!;
      const tag = edge.sideTag ?? '';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push({ channels: channels as OutputChannel[], partitioning: edge.partitioning });
    }
  });

  for (const chain of plan.chains) {
    for (let s = 0; s < chain.parallelism; s++) {
      if (!isLocal(chain.index, s)) continue;
      const routes = routesOf.get(`${chain.index}/${s}`) ?? new Map();
      const sideOutputs = new Map<string, OutputGate>();
      for (const [tag, r] of routes) if (tag !== '') sideOutputs.set(tag, new OutputGate(r, options.batchSize));
      const inputs = inputsOf.get(`${chain.index}/${s}`) ?? [];
      const { operators, source } = instantiate(chain, s);
      const sinks = operators.filter((o) => o instanceof SinkRunner || o instanceof TwoPhaseSinkRunner);
      const actor: TaskActor = new TaskActor({
        job: name,
        fence: options.fence,
        tracer,
        name: chain.name,
        subtask: s,
        parallelism: chain.parallelism,
        maxParallelism: options.maxParallelism,
        stateBackend: options.stateBackend,
        operators,
        inputs: inputs.map((i) => i.channel),
        inputIndex: inputs.map((i) => i.logicalInput),
        source,
        gate: new OutputGate(routes.get('') ?? [], options.batchSize),
        sideOutputs,
        batchSize: options.batchSize,
        snapshotEvery: options.snapshotEvery,
        replayLimit: options.replayLimit,
        sourceReplayLimit: options.sourceReplayLimit,
        store,
        clock: options.clock,
        scheduler: system.scheduler,
        supervisor: root,
        inspection: system.inspection,
        poisonPolicy: options.poisonPolicy,
        deadLetter: (letter) => {
          deadLetterCount++;
          if (deadLetters.length < options.deadLetterMemory) deadLetters.push(letter);
          options.onDeadLetter?.(letter);
        },
        fatal: (e) => fail(e),
        checkpoints: !options.checkpoint
          ? undefined
          : cluster && !cluster.leader
            ? { acknowledge: (a, id, key, bytes, shared, ended) => cluster.report.acknowledge(a.checkpointName, id, key, bytes, shared, ended), decline: (a, id, e) => cluster.report.decline(a.checkpointName, id, causeText(e)) }
            : { acknowledge: (a, id, key, bytes, shared, ended) => coordinator?.acknowledge(a, id, key, bytes, shared, ended), decline: (a, id, e) => coordinator?.decline(a, id, e) },
        uids: layouts.get(chain)!.uids,
        sourceUid: layouts.get(chain)!.sourceUid,
        ended: (a) => (cluster && !cluster.leader ? cluster.report.ended?.(a.checkpointName) : coordinator?.endOfInput()),
        finished: (a) => {
          cluster?.report.finished(a.checkpointName);
          system.notifyFinished();
          if (actors.every((a) => a.state() === 'finished')) void finish();
        },
      });
      chainOfActor.set(actor, chain);
      if (sinks.length > 0) sinkCounters.push(() => actor.recordsWritten);
      if (source) sourceActors.push(actor);
      root.add(actor);
      actors.push(actor);
    }
  }

  if (options.checkpoint && (!cluster || cluster.leader)) {
    const all: CheckpointParticipant[] = [...actors, ...(cluster?.remoteActors ?? [])];
    const sources: CheckpointSource[] = [...sourceActors, ...(cluster?.remoteSources ?? [])];
    coordinator = new CheckpointCoordinator(name, all, sources, store, options.clock, system.inspection, options.checkpoint, (e) => fail(e), (options.restoreFrom?.id ?? 0) + 1);
  }
  const detachCluster = cluster?.attach({ actors, sources: sourceActors, coordinator });
  const stopTelemetry = [instrumentJob(name, () => handle.metrics(), system.inspection, () => options.clock.now()), traceLifecycle(name, system.inspection)];
  system.inspection.emit({ type: 'job.started', job: name });
  // Start receivers before senders so no credit or record arrives at an actor that is not ready.
  // A job cancelled meanwhile starts no more actors: one started after its end would open a connection nobody closes.
  spawning = (async () => {
    try {
      if (options.restoreFrom) await assignRestores();
      for (const a of [...actors].reverse()) {
        if (settled) return;
        await system.spawn(a);
      }
      if (!settled) coordinator?.start();
    } catch (e) {
      fail(e instanceof Error ? e : new Error(String(e)));
    }
  })();

  const graph: JobGraph = {
    chains: plan.chains.map((c) => ({ name: c.name, parallelism: c.parallelism, operators: c.members.map((m) => m.name) })),
    edges: plan.edges.map((e) => ({ from: e.from, to: e.to, partitioning: e.partitioning.kind, sideTag: e.sideTag })),
  };
  const handle: JobHandle = {
    name,
    done,
    system,
    cancel: async () => {
      await finish(new JobCancelledError(name));
      await done.catch(() => {});
    },
    checkpoint: () => (coordinator ? coordinator.trigger(false) : Promise.reject(new InvalidJobError('checkpointing is not enabled: pass { checkpointing: { intervalMs } } to StreamEnvironment.create'))),
    savepoint: () => (coordinator ? coordinator.trigger(true) : Promise.reject(new InvalidJobError('checkpointing is not enabled: pass { checkpointing: { intervalMs } } to StreamEnvironment.create'))),
    metrics: () => ({
      actors: actors.map((a) => ({ id: a.id, operator: a.name, subtask: a.subtask, state: a.state(), restarts: a.restarts, inputPeaks: a.inputPeaks(), capacity: options.channelCapacity, ...a.figures(), outputs: a.outputFigures() })),
      recordsIn: recordsIn(),
      recordsOut: recordsOut(),
      restarts: restarts(),
      deadLetters: deadLetterCount,
      sampledTraces: tracer?.recentTraces() ?? [],
      graph,
    }),
  };
  void done.catch(() => {}).finally(() => {
    for (const stop of stopTelemetry) stop();
  });
  return handle;
}

/** One operator per transformation; runs of stateless steps fuse into one generated loop. */
function instantiate(chain: ChainPlan, subtask: number): { operators: Operator[]; source?: ReturnType<NonNullable<ChainPlan['members'][0]['source']>['createReader']> } {
  const operators: Operator[] = [];
  let steps: TransformStep[] = [];
  const flushSteps = () => {
    if (steps.length > 0) operators.push(new FusedTransform(steps));
    steps = [];
  };
  let source;
  for (const t of chain.members) {
    switch (t.kind) {
      case 'source':
        source = t.source!.createReader(subtask, chain.parallelism);
        break;
      case 'step':
        steps.push(t.step!);
        break;
      case 'operator':
        flushSteps();
        operators.push(t.createOperator!(subtask, chain.parallelism));
        break;
      case 'sink':
        flushSteps();
        operators.push('twoPhase' in t.sink! && t.sink.twoPhase ? new TwoPhaseSinkRunner(t.sink as unknown as TwoPhaseCommitSink<unknown>, subtask, chain.parallelism) : new SinkRunner(t.sink!, subtask, chain.parallelism));
        break;
    }
  }
  flushSteps();
  return { operators, source };
}

/**
 * The operator uids of a chain, one per operator {@link instantiate} makes (a run of fused steps
 * is one stateless operator), and its source's uid.
 */
function layoutOf(chain: ChainPlan, ids: Map<Transformation, string>): { uids: string[]; sourceUid?: string } {
  const uids: string[] = [];
  let steps: string[] = [];
  let sourceUid: string | undefined;
  const flushSteps = () => {
    if (steps.length > 0) uids.push(`steps(${steps.join(',')})`);
    steps = [];
  };
  for (const t of chain.members) {
    if (t.kind === 'source') sourceUid = ids.get(t);
    else if (t.kind === 'step') steps.push(ids.get(t)!);
    else {
      flushSteps();
      uids.push(ids.get(t)!);
    }
  }
  flushSteps();
  return { uids, sourceUid };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
