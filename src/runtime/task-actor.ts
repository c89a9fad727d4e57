import type { AttemptFence } from './attempt-fence.ts';
import type { Envelope, RecordsEnvelope } from '../transport/envelope.ts';
import type { RecordTracer } from '../telemetry/record-tracer.ts';
import type { InputChannel } from '../transport/channel.ts';
import type { SourceReader } from '../connectors/source.ts';
import type { SnapshotStore } from '../checkpoint/stores/snapshot-store.ts';
import type { Clock } from '../time/clock.ts';
import type { BatchOut, Operator, OperatorContext } from './operator.ts';
import type { OutputGate } from './output-gate.ts';
import type { Schedulable, Scheduler } from './scheduler.ts';
import { runInTurns } from './stepped-task.ts';
import type { Supervisor, SupervisedChild, ChildKind } from './supervisor.ts';
import type { InspectionBus } from './inspection.ts';
import type { DeadLetter } from './dead-letter.ts';
import { toDeadLetter } from './dead-letter.ts';
import { EffectGuard } from './effect-guard.ts';
import { ReplayLog } from './replay-log.ts';
import type { AssignedState } from '../checkpoint/state-assignment.ts';
import { startLifecycle, lifecycleState, type ActorLifecycle } from './actor-lifecycle.ts';
import { InputSet } from './input-set.ts';
import { BarrierAligner } from '../checkpoint/barrier-aligner.ts';
import { actorCheckpointName, checkpointKey } from '../checkpoint/checkpoint-keys.ts';
import type { StateBackendOption } from '../state/backends/state-backend-option.ts';
import { partKey, referencedParts, resolveParts, type CheckpointParts, type PartsRef } from '../checkpoint/checkpoint-parts.ts';
import { ChainRunner } from './chain-runner.ts';
import { PoisonTracker } from './poison-tracker.ts';
import { assertSerializable, decodeSnapshot, encodeSnapshot, packValue, unpackValue } from '../state/snapshot-codec.ts';
import { UserFunctionError, WeirError, PoisonRecordError, InvalidJobError, causeText } from '../errors.ts';

/**
 * Shortest slice of an asynchronous checkpoint's packing before it lets the actors go on; a slice
 * runs as long as the actor's last turn (one batch), so a job with slow batches (a disk-backed
 * state with a small cache) does not starve its checkpoint to one key group per batch.
 */
const CHECKPOINT_SLICE_MS = 2;
/** Longest slice, whatever the last turn took. */
const CHECKPOINT_SLICE_MAX_MS = 50;

/** What packing a checkpoint's parts produced: bytes packed, the puts under way, and per operator the blob of each key group. */
interface PartsPacking {
  bytes: number;
  puts: Array<Promise<void>>;
  written: Array<Map<number, string>>;
}

/** Everything a task actor needs; the job builder fills it from the physical plan. */
export interface TaskConfig {
  job: string;
  /** A clustered job's attempt fence, handed to operators, sources and sinks. */
  fence?: AttemptFence;
  /** Follows sampled records with spans (absent: tracing off, nothing on the hot path). */
  tracer?: RecordTracer;
  /** Name of the chain (its operators' names joined), unique within the job. */
  name: string;
  subtask: number;
  parallelism: number;
  maxParallelism: number;
  /** Where keyed state lives (absent: the heap). */
  stateBackend?: StateBackendOption;
  operators: Operator[];
  /** Input channels (empty for a source task). */
  inputs: InputChannel[];
  /** Logical input (0, or 1 for the second of connected streams) of each input channel. */
  inputIndex: number[];
  /** The source reader, for a source task. */
  source?: SourceReader<unknown>;
  gate: OutputGate;
  sideOutputs: Map<string, OutputGate>;
  batchSize: number;
  /** Input batches between two local snapshots. */
  snapshotEvery: number;
  /** Most input batches retained for replay before the actor waits for its snapshot to land. */
  replayLimit: number;
  /** Batches between a source chain's local snapshots: how far back it may read again after a failure. */
  sourceReplayLimit: number;
  store: SnapshotStore;
  clock: Clock;
  scheduler: Scheduler;
  supervisor: Supervisor;
  inspection: InspectionBus;
  kind?: ChildKind;
  poisonPolicy: 'dead-letter' | 'fail';
  deadLetter(letter: DeadLetter): void;
  /** The actor cannot go on and no restart can help (e.g. unreadable snapshot): fail the job. */
  fatal(error: Error): void;
  finished(actor: TaskActor): void;
  /** With checkpoints: the actor reached the end of its input (or was restored there) and waits for a final checkpoint. */
  ended?(actor: TaskActor): void;
  /** Checkpoint acks go here (absent: the job takes no checkpoints). */
  checkpoints?: CheckpointListener;
  /** The uid of each operator (see `operatorIds`), written into snapshots so restores can match state by operator. */
  uids?: string[];
  sourceUid?: string;
}

/** How an actor restores when it starts (see {@link TaskActor.restoreWith}). */
export interface RestoreInstruction {
  /** Restore from this snapshot key (a completed checkpoint), channel positions included. */
  restoreFrom?: string;
  /** Restore at a new parallelism: the snapshots of every old subtask of this chain; operators keep their key groups. */
  rescaleFrom?: string[];
  /** Restore each operator from the state of the old operator with its uid; channel positions start afresh. */
  assigned?: AssignedState;
}

/** Where an actor reports the snapshot it took for a checkpoint. */
export interface CheckpointListener {
  /** `shared`: blobs under `job/shared/` the snapshot references (incremental checkpoints), kept while a retained checkpoint references them. */
  /** `ended`: the snapshot was taken after the actor's end of input (when every part of a checkpoint was, the checkpoint is final). */
  acknowledge(actor: TaskActor, checkpointId: number, key: string, bytes: number, shared?: string[], ended?: boolean): void;
  decline(actor: TaskActor, checkpointId: number, error: unknown): void;
}

/** What an actor snapshot holds; restoring it and replaying the log since reproduces the actor. */
export interface TaskSnapshot {
  operators: unknown[];
  gate: ReturnType<OutputGate['snapshot']>;
  sides: Array<[string, ReturnType<OutputGate['snapshot']>]>;
  inputs: ReturnType<InputSet['snapshot']> | null;
  source: unknown;
  readCount: number;
  sinkCount: number;
  deadLetterCount: number;
  /** True when operator states are deltas over the previous local snapshot. */
  delta?: boolean;
  /** Operator uids aligned with `operators` (absent in snapshots of earlier versions). */
  uids?: string[];
  sourceUid?: string;
  /** Taken after the actor's end of input: a restored actor only waits for a final checkpoint (absent in earlier versions). */
  ended?: boolean;
}

/**
 * A packed local snapshot of at most this many bytes is small: see `snapshotDue`. Its size,
 * unlike its duration, does not depend on how busy the machine is.
 */
const SMALL_SNAPSHOT_BYTES = 16_384;

/**
 * One operator instance (a chain of fused operators) as an actor: takes one input batch per
 * scheduler turn, runs the chain in plain loops, and sends output as credits allow.
 *
 * Recovery (tier 1): every `snapshotEvery` batches it snapshots its state to the store and keeps
 * the input since then in a bounded replay log. When a user function throws, the supervisor
 * restarts just this actor: it restores the snapshot and replays the log; outputs carry
 * per-channel record sequence numbers, so receivers drop what they already have, and sink writes
 * and dead letters pass through {@link EffectGuard}s. An input batch that keeps failing past the
 * restart intensity is processed record by record and the failing record dead-lettered.
 *
 * Threading model: event loop only; `turn` is called by the scheduler and never throws.
 */
export class TaskActor implements Schedulable, SupervisedChild {
  queued = false;
  readonly id: string;
  readonly kind: ChildKind;
  readonly lifecycle: ActorLifecycle;
  restarts = 0;
  private readonly cfg: TaskConfig;
  private readonly inputs: InputSet;
  private readonly chain: ChainRunner;
  private readonly log: ReplayLog;
  private readonly sinkGuard = new EffectGuard();
  private readonly deadLetterGuard = new EffectGuard();
  private readonly poison = new PoisonTracker();
  private running = false;
  /** Set by {@link stop}: the job ended; never cleared. */
  private stopped = false;
  /** The close in progress or done: close() runs once. */
  private closing: Promise<void> | undefined;
  private busy = false;
  private ended = false;
  /** A final checkpoint (every actor past its end of input) completed after this actor ended: it may finish. */
  private finalCheckpointDone = false;
  private sourceExhausted = false;
  private readCount = 0;
  private batchesSinceSnapshot = 0;
  /** Time spent in turns since the last snapshot, and what the last snapshot cost: snapshots stay a small share of the work. */
  private busyMsSinceSnapshot = 0;
  /** How long the last synchronous turn took: an asynchronous checkpoint works in slices as long. */
  private lastTurnMs = 0;
  private lastSnapshotMs = 0;
  /** Bytes of the last packed snapshot (0 before the first, which measures; Infinity after one kept by reference). */
  private lastSnapshotBytes = 0;
  private snapshotInFlight: Promise<void> | undefined;
  private incarnation = 0;
  private readonly snapshotKey: string;
  /** Chains without state snapshot only positions: kept in memory after every batch, so nothing is retained. */
  private readonly light: boolean;
  private lightSnapshot: TaskSnapshot | undefined;
  /** Output that waited for credit when the light snapshot was taken. */
  private lightWaiting: { gate: Envelope[][]; sides: Array<[string, Envelope[][]]> } | undefined;
  private readonly aligner: BarrierAligner;
  /** Checkpoints the coordinator asked this source to start (injected at its next turn). */
  private readonly pendingBarriers: Array<{ id: number; savepoint: boolean }> = [];
  /** Stable name of this actor in checkpoint keys. */
  readonly checkpointName: string;

  constructor(cfg: TaskConfig) {
    this.cfg = cfg;
    this.id = `${cfg.name}#${cfg.subtask}`;
    this.kind = cfg.kind ?? 'permanent';
    this.checkpointName = actorCheckpointName(cfg.name, cfg.subtask);
    this.snapshotKey = `${cfg.job}/local/${this.checkpointName}`;
    this.aligner = new BarrierAligner(cfg.inputs.length);
    this.light = !cfg.operators.some((op) => op.stateful);
    this.inputs = new InputSet(cfg.inputs);
    this.log = new ReplayLog(cfg.replayLimit);
    this.chain = new ChainRunner(cfg.operators, cfg.gate, this.sinkGuard, cfg.tracer, cfg.subtask, cfg.name);
    this.lifecycle = startLifecycle();
    for (const ch of cfg.inputs) ch.onData(() => cfg.scheduler.schedule(this));
    for (const ch of cfg.gate.channels) ch.onCredit(() => cfg.scheduler.schedule(this));
    for (const side of cfg.sideOutputs.values()) for (const ch of side.channels) ch.onCredit(() => cfg.scheduler.schedule(this));
  }

  /** Opens operators and the source, takes the initial snapshot and starts taking turns. */
  async start(): Promise<void> {
    const ctx = this.operatorContext();
    for (const op of this.cfg.operators) await op.open?.(ctx);
    if (this.cfg.source) await this.cfg.source.open({ ...ctx, deadLetter: (e, r, pos) => this.emitDeadLetter(e, r, pos) });
    const r = this.restoreInstruction;
    if (r.restoreFrom) await this.applySnapshot(await this.readSnapshot(r.restoreFrom));
    else if (r.rescaleFrom) await this.applyRescaled(await Promise.all(r.rescaleFrom.map((k) => this.readSnapshot(k))));
    else if (r.assigned) await this.applyAssigned(r.assigned);
    // A fresh start still initializes state: a 2PC sink aborts transactions a failed run left behind.
    else for (const op of this.cfg.operators) await op.restoreState?.(null);
    // Stopped while opening (its job ended meanwhile): it takes no turns; the job closes it.
    if (this.stopped) return;
    this.takeSnapshot();
    this.running = true;
    this.lifecycle.send({ type: 'STARTED' });
    this.resumeEnded();
    this.cfg.inspection.emit({ type: 'actor.started', job: this.cfg.job, actor: this.cfg.name, subtask: this.cfg.subtask, restored: r.restoreFrom !== undefined || r.rescaleFrom !== undefined || r.assigned !== undefined });
    this.cfg.scheduler.schedule(this);
  }

  private restoreInstruction: RestoreInstruction = {};

  /** Where this actor's state comes from when it starts (a job restored from a checkpoint or savepoint); call before it starts. */
  restoreWith(instruction: RestoreInstruction): void {
    this.restoreInstruction = instruction;
  }

  /** Lifecycle state name (for tests, status and metrics). */
  state(): string {
    return lifecycleState(this.lifecycle);
  }

  ready(): boolean {
    if (!this.running || this.busy) return false;
    if (this.blocked()) return this.canFlush();
    if (this.ended) return this.finalCheckpointDone || this.barrierWaits();
    if (this.log.replaying()) return true;
    if (this.log.full()) return !this.snapshotInFlight;
    if (this.processingTimeDue) return true;
    return this.cfg.source ? !this.sourceExhausted || this.pendingBarriers.length > 0 : this.inputs.hasInput();
  }

  /** The coordinator starts checkpoint `id` at this source: the barrier goes out at its next turn. */
  triggerCheckpoint(id: number, savepoint: boolean): void {
    // An exhausted source takes part too (FLIP-147): its snapshot is taken after its end of input.
    this.pendingBarriers.push({ id, savepoint });
    this.cfg.scheduler.schedule(this);
  }

  /**
   * Checkpoint `id` completed everywhere: commit what waited for it (2PC sinks, source offsets).
   * `final`: every actor's part was taken after its end of input; an actor that ended finishes now.
   */
  async notifyCheckpointComplete(id: number, final = false): Promise<void> {
    const incarnation = this.incarnation;
    const written = this.writtenParts.get(id);
    if (written) this.committedParts = written;
    for (const k of this.writtenParts.keys()) if (k <= id) this.writtenParts.delete(k);
    try {
      for (const op of this.cfg.operators) await op.notifyCheckpointComplete?.(id);
      await this.cfg.source?.notifyCheckpointComplete?.(id);
      if (final && this.ended && incarnation === this.incarnation && this.running) {
        this.finalCheckpointDone = true;
        this.cfg.scheduler.schedule(this);
      }
    } catch (error) {
      // A failed commit fails the actor: its restore commits the checkpoint's transactions again (commits are idempotent).
      if (incarnation !== this.incarnation || !this.running) return;
      this.current.identity = '';
      this.fail(new WeirError('WEIR_COMMIT_FAILED', `committing checkpoint ${id} failed: ${causeText(error)}`, { job: this.cfg.job, operator: this.cfg.name, subtask: this.cfg.subtask }, { cause: error }));
    }
  }

  turn(): void {
    if (!this.running || this.busy) return;
    if (this.blocked() && !this.flushAll()) return;
    if (this.blockedSince !== undefined) {
      this.backpressuredMs += performance.now() - this.blockedSince;
      this.blockedSince = undefined;
    }
    if (this.ended && !this.barrierWaits()) {
      this.afterTurn();
      return;
    }
    if (this.log.full() && !this.log.replaying()) {
      // Bounded replay: take no more input until a snapshot covers what the log holds.
      if (!this.snapshotInFlight) this.takeSnapshot();
      return;
    }
    const incarnation = this.incarnation;
    const startedAt = performance.now();
    let result: void | Promise<void>;
    try {
      result = this.cfg.source ? this.sourceTurn() : this.channelTurn();
    } catch (error) {
      this.fail(error);
      return;
    }
    if (result instanceof Promise) {
      this.busy = true;
      result.then(
        () => {
          if (incarnation !== this.incarnation) return;
          this.busy = false;
          // An asynchronous turn (a sink awaiting its writes) is busy until it settles: a slow sink shows as busy, not idle.
          this.busyMs += performance.now() - startedAt;
          this.afterTurn();
          // Input that arrived while busy found the actor not ready; look again.
          this.cfg.scheduler.schedule(this);
        },
        (error) => {
          if (incarnation !== this.incarnation) return;
          this.busy = false;
          this.fail(error);
        },
      );
      return;
    }
    const spent = performance.now() - startedAt;
    this.lastTurnMs = spent;
    this.busyMsSinceSnapshot += spent;
    this.busyMs += spent;
    this.afterTurn();
  }

  /** The batch being processed: its identity, or for a source chain's batch the read positions [readStart, readEnd). */
  private current: { identity: string; values: unknown[] | undefined; readStart: number; readEnd: number } = { identity: '', values: undefined, readStart: 0, readEnd: -1 };

  private channelTurn(): void | Promise<void> {
    let entry = this.log.next();
    if (entry === undefined && this.processingTimeDue) {
      this.processingTimeDue = false;
      entry = { input: -1, envelope: { kind: 'processingTime', seq: -1, time: this.cfg.clock.now() } };
      this.log.append(entry);
    }
    if (entry === undefined) {
      const polled = this.inputs.poll();
      if (polled === undefined) return;
      entry = polled;
      this.log.append(entry);
      this.batchesSinceSnapshot++;
    }
    if (entry.envelope.kind === 'processingTime') return this.chain.processingTime(entry.envelope.time);
    const { input, envelope } = entry as { input: number; envelope: Envelope };
    this.inputs.advance(input, envelope);
    if (envelope.kind === 'records') {
      this.current.readEnd = -1;
      return this.processRecords(`${input}:${envelope.seq}`, envelope, this.cfg.inputIndex[input] ?? 0);
    }
    return this.processControl(input, envelope);
  }

  private sourceTurn(): void | Promise<void> {
    const barrier = this.pendingBarriers.shift();
    if (barrier) return this.checkpoint(barrier.id, barrier.savepoint);
    if (this.sourceExhausted) return;
    const reader = this.cfg.source!;
    const values: unknown[] = [];
    const timestamps: number[] | null = [];
    const n = reader.read(values, timestamps, this.cfg.batchSize);
    if (n < 0) {
      this.sourceExhausted = true;
      return this.finishInput();
    }
    if (n === 0) {
      this.markIdleLater();
      if (!reader.whenAvailable) return;
      return reader.whenAvailable();
    }
    this.sourceIdle = false;
    const identity = `s:${this.readCount}`;
    this.current.readStart = this.readCount;
    this.readCount += n;
    this.current.readEnd = this.readCount;
    this.batchesSinceSnapshot++;
    const hasTimestamps = timestamps.length === values.length;
    // One object shape whether or not this batch has sampled records (a field added later made the hot path polymorphic).
    const envelope: RecordsEnvelope = { kind: 'records', seq: this.readCount - n, values, timestamps: hasTimestamps ? timestamps : null, trace: this.cfg.tracer ? this.cfg.tracer.sample(n) : undefined };
    return this.processRecords(identity, envelope, 0);
  }

  private processRecords(identity: string, envelope: RecordsEnvelope, input: number): void | Promise<void> {
    this.recordsIn += envelope.values.length;
    this.current.identity = identity;
    this.current.values = envelope.values;
    if (this.current.readEnd < 0 ? this.poison.isPoisoned(identity) : this.poison.isPoisonedRange(this.current.readStart, this.current.readEnd)) return this.processOneByOne(envelope, input);
    return this.chain.run(envelope.values, envelope.timestamps, input, 0, envelope.trace);
  }

  /** The slow path for a batch that keeps failing: isolate and dead-letter the failing records. */
  private processOneByOne(envelope: RecordsEnvelope, input: number): void {
    for (let i = 0; i < envelope.values.length; i++) {
      try {
        const r = this.chain.run([envelope.values[i]], envelope.timestamps ? [envelope.timestamps[i]!] : null, input);
        if (r instanceof Promise) r.catch((e) => this.emitDeadLetter(e, envelope.values[i], envelope.seq + i));
      } catch (error) {
        this.emitDeadLetter(error, envelope.values[i], envelope.seq + i);
      }
    }
  }

  private processControl(_input: number, envelope: Envelope): void | Promise<void> {
    switch (envelope.kind) {
      case 'watermark': {
        const wm = this.inputs.combinedWatermarkAdvance();
        if (wm !== undefined) return this.chain.watermark(wm);
        return;
      }
      case 'idle': {
        const wm = this.inputs.combinedWatermarkAdvance();
        const r = wm !== undefined ? this.chain.watermark(wm) : undefined;
        // Idleness travels on: an actor whose inputs are all idle is idle to its receivers (its next records end that).
        const idle = () => {
          if (envelope.idle && this.inputs.allIdle()) for (const gate of [this.cfg.gate, ...this.cfg.sideOutputs.values()]) gate.emitControl((seq) => ({ kind: 'idle', seq, idle: true }));
        };
        if (r instanceof Promise) return r.then(idle);
        idle();
        return;
      }
      case 'end': {
        const aligned = this.aligner.onEnd(_input, this.inputs);
        const wm = this.inputs.combinedWatermarkAdvance();
        const r = wm !== undefined ? this.chain.watermark(wm) : undefined;
        // The end's effects come before the checkpoint it aligns (the ended input's records all precede
        // its barrier): once every input ended, that snapshot is taken after end of input, so a restore
        // from it does not end (and flush) a second time.
        const then = () => {
          const f = this.inputs.allEnded() ? this.finishInput() : undefined;
          if (aligned === undefined) return f;
          if (f instanceof Promise) return f.then(() => this.checkpoint(aligned.id, aligned.savepoint));
          return this.checkpoint(aligned.id, aligned.savepoint);
        };
        if (r instanceof Promise) return r.then(then);
        return then();
      }
      case 'barrier': {
        // Aligned checkpoint: hold this input until every other open input delivered the barrier too.
        const aligned = this.aligner.onBarrier(_input, envelope.checkpointId, this.inputs, envelope.savepoint === true);
        if (aligned) {
          this.cfg.inspection.emit({ type: 'actor.aligned', job: this.cfg.job, actor: this.cfg.name, subtask: this.cfg.subtask, checkpointId: envelope.checkpointId, alignmentMs: this.aligner.lastAlignmentMs });
          return this.checkpoint(envelope.checkpointId, envelope.savepoint === true);
        }
        return;
      }
      default:
        return;
    }
  }

  private finishInput(): void | Promise<void> {
    this.lifecycle.send({ type: 'FINISH' });
    const w = this.cfg.source ? this.chain.watermark(Infinity) : undefined;
    if (w instanceof Promise) return w.then(() => this.endChain());
    return this.endChain();
  }

  private endChain(): void | Promise<void> {
    const r = this.chain.end();
    const done = () => {
      for (const gate of [this.cfg.gate, ...this.cfg.sideOutputs.values()]) gate.emitControl((seq) => ({ kind: 'end', seq }));
      this.ended = true;
      if (this.cfg.checkpoints) this.cfg.ended?.(this);
    };
    if (r instanceof Promise) return r.then(done);
    done();
  }

  private afterTurn(): void {
    if (!this.log.replaying() && !this.inputs.hasInput()) this.sealPartials();
    // Output waiting for credit: the actor is back-pressured until a credit lets it go on.
    if (!this.flushAll() && this.blockedSince === undefined) this.blockedSince = performance.now();
    this.armProcessingTime();
    // With checkpoints an ended actor finishes only after a final checkpoint (FLIP-147): until then a
    // rollback could still need it, and its 2PC sinks commit their last epoch with that checkpoint.
    if (this.ended && !this.blocked() && (this.finalCheckpointDone || !this.cfg.checkpoints)) {
      this.running = false;
      this.lifecycle.send({ type: 'FINISHED' });
      this.cfg.inspection.emit({ type: 'actor.stopped', job: this.cfg.job, actor: this.cfg.name, subtask: this.cfg.subtask });
      this.cfg.finished(this);
      return;
    }
    if (this.snapshotDue()) this.takeSnapshot();
  }

  /** An ended actor still has a checkpoint barrier to pass on (an exhausted source's, or one on its inputs). */
  private barrierWaits(): boolean {
    return this.cfg.source ? this.pendingBarriers.length > 0 : this.inputs.hasInput() || this.log.replaying();
  }

  /** A restored actor whose snapshot was taken after its end of input waits for a final checkpoint again (it does not end twice). */
  private resumeEnded(): void {
    if (!this.ended) return;
    this.lifecycle.send({ type: 'FINISH' });
    this.cfg.ended?.(this);
  }

  private sourceIdle = false;
  private idleHandle: unknown;

  /**
   * A source with an idleness timeout (`WatermarkStrategy.withIdleness`) that has had nothing to
   * read for that long tells downstream it is idle, so it no longer holds back their watermarks;
   * its next records make it active again.
   */
  private markIdleLater(): void {
    const idleMs = this.chain.idlenessMs();
    if (idleMs === undefined || this.sourceIdle || this.idleHandle !== undefined) return;
    const readAt = this.readCount;
    const incarnation = this.incarnation;
    this.idleHandle = this.cfg.clock.setTimeout(() => {
      this.idleHandle = undefined;
      if (incarnation !== this.incarnation || this.ended || this.readCount !== readAt) return;
      this.sourceIdle = true;
      for (const gate of [this.cfg.gate, ...this.cfg.sideOutputs.values()]) gate.emitControl((seq) => ({ kind: 'idle', seq, idle: true }));
      this.flushAll();
      this.cfg.scheduler.schedule(this);
    }, idleMs);
  }

  /** Cancels every clock timer this actor set (it failed, stopped or ended). */
  private clearTimers(): void {
    this.disarmProcessingTime();
    this.clearIdleTimer();
  }

  private clearIdleTimer(): void {
    if (this.idleHandle !== undefined) this.cfg.clock.clearTimeout(this.idleHandle);
    this.idleHandle = undefined;
  }

  private processingTimeDue = false;
  private processingTimeAt = Infinity;
  private processingTimeHandle: unknown;

  /** Wakes the actor when the earliest processing-time timer of its operators falls due (inputs still open). */
  private armProcessingTime(): void {
    if (this.ended) return this.clearTimers();
    if (this.cfg.source) return;
    const next = this.chain.nextProcessingTime();
    if (next === undefined || next >= this.processingTimeAt) return;
    this.disarmProcessingTime();
    this.processingTimeAt = next;
    const incarnation = this.incarnation;
    this.processingTimeHandle = this.cfg.clock.setTimeout(() => {
      if (incarnation !== this.incarnation) return;
      this.processingTimeAt = Infinity;
      this.processingTimeHandle = undefined;
      this.processingTimeDue = true;
      this.cfg.scheduler.schedule(this);
    }, Math.max(0, next - this.cfg.clock.now()));
  }

  private disarmProcessingTime(): void {
    if (this.processingTimeHandle !== undefined) this.cfg.clock.clearTimeout(this.processingTimeHandle);
    this.processingTimeHandle = undefined;
    this.processingTimeAt = Infinity;
  }

  /** Every `snapshotEvery` batches, unless the last snapshot was costly (then wait until it is ≤ 5% of the work; the log bound still forces one). */
  private snapshotDue(): boolean {
    if (this.snapshotInFlight || this.log.replaying() || this.aligner.aligning()) return false;
    if (this.light || this.log.full()) return true;
    // The snapshot kept by reference may no longer be trusted (an operator found its values change in place): replace it now.
    if (this.referenceSnapshot !== undefined && !this.byReference()) return true;
    // A stateful source chain retains no input: it replays by reading again from its snapshot's
    // position, so its snapshots only bound how far back that is. They cost more than their own
    // time (one kept by reference keeps the state's values alive until the next, and so copied by
    // every scavenge meanwhile: ~15% of a keyed count at one per 32 batches), so they come rarely.
    if (this.cfg.source) return this.batchesSinceSnapshot >= this.cfg.sourceReplayLimit;
    // A small snapshot comes after a quarter of the input envelopes whatever the actor's own work:
    // the input the log retains meanwhile survives every scavenge (and is promoted after two),
    // which costs more than such a snapshot when the actor does little per record (Nexmark q7's
    // window over 16 keys: a ~900-byte snapshot, its log full at 64 envelopes before; with this
    // and the synchronous trim of a volatile store, scavenges copy 60 MB instead of 120-145 MB per
    // 2M events, and promote 8 MB instead of 18-21).
    if (this.batchesSinceSnapshot >= this.cfg.snapshotEvery >> 2 && this.lastSnapshotBytes <= SMALL_SNAPSHOT_BYTES) return true;
    return this.batchesSinceSnapshot >= this.cfg.snapshotEvery && this.busyMsSinceSnapshot >= this.lastSnapshotMs * 20;
  }

  /** Snapshot state now (only when nothing waits to be sent) and trim the log once it is durable. */
  private takeSnapshot(): void {
    this.sealPartials();
    // A stateless actor's snapshot stays in memory and keeps its waiting output by reference, so it
    // need not wait for credit: otherwise, behind a slower receiver, its log would retain up to
    // `replayLimit` full input batches (GC time) while holding nothing worth replaying.
    if (!this.flushAll() && !this.light) return;
    const startedAt = performance.now();
    if (!this.light && this.byReference()) {
      this.keepByReference(startedAt);
      return;
    }
    // A delta holds only what changed since the previous local snapshot; a chain of them sits on a full one.
    const delta = !this.light && this.deltaDue();
    const payload = this.snapshotPayload(delta, undefined, false, undefined, true);
    if (this.light) {
      // Usually nothing waits: then there is nothing to keep (no copy per batch).
      this.lightWaiting = this.blocked() ? { gate: this.cfg.gate.waiting(), sides: [...this.cfg.sideOutputs].map(([tag, g]) => [tag, g.waiting()]) } : undefined;
      this.lightSnapshot = payload;
      this.log.trim(this.log.mark());
      this.batchesSinceSnapshot = 0;
      return;
    }
    if (!delta) for (const op of this.cfg.operators) op.clearDelta?.();
    let bytes: Uint8Array;
    try {
      // The full walk runs on full snapshots (and checkpoints); a delta holds only values changed since,
      // which the next full snapshot or checkpoint walks, and a function fails its packing at once.
      const walk = () => this.cfg.operators.forEach((op, i) => op.stateful && assertSerializable(payload.operators[i], op.name));
      if (!delta) walk();
      try {
        bytes = encodeSnapshot(payload, { job: this.cfg.job, operator: this.cfg.name, kind: 'local' });
      } catch (error) {
        walk(); // names the path of what failed the packing
        throw error;
      }
    } catch (error) {
      this.running = false;
      this.cfg.fatal(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const mark = this.log.mark();
    this.lastSnapshotBytes = bytes.length;
    this.batchesSinceSnapshot = 0;
    this.busyMsSinceSnapshot = 0;
    this.lastSnapshotMs = performance.now() - startedAt;
    const key = delta ? `${this.snapshotKey}.d${this.localChain.length}` : this.snapshotKey;
    const landed = () => {
      // Trim even if the actor failed meanwhile: restore waits for this put and reads this snapshot.
      this.snapshotInFlight = undefined;
      if (delta) {
        this.localChain.push(key);
        this.deltaBytes += bytes.length;
      } else {
        for (const old of this.localChain.slice(1)) void this.cfg.store.delete(old).catch(() => {});
        this.localChain = [key];
        this.referenceSnapshot = undefined;
        this.fullBytes = bytes.length;
        this.deltaBytes = 0;
      }
      this.log.trim(mark);
      this.cfg.inspection.emit({ type: 'actor.snapshot', job: this.cfg.job, actor: this.cfg.name, subtask: this.cfg.subtask, bytes: bytes.length });
    };
    const put = this.cfg.store.put(key, bytes);
    if (this.cfg.store.volatile === true) {
      // A volatile store has stored the blob when put returns: the log is trimmed now, not once the
      // promise settles, which waits for the end of the scheduler's slice, and meanwhile every
      // turn of that slice adds to the log (up to `replayLimit` batches kept alive for GC to copy).
      landed();
      put.catch((error: unknown) => this.cfg.fatal(new WeirError('WEIR_SNAPSHOT_FAILED', `the in-memory store failed to keep a local snapshot of ${this.cfg.name}, whose replay log was already trimmed`, { job: this.cfg.job, operator: this.cfg.name }, { cause: error })));
      return;
    }
    this.snapshotInFlight = put.then(
      () => {
        landed();
        this.cfg.scheduler.schedule(this);
      },
      (error: unknown) => {
        // The log still holds everything since the previous snapshot, so nothing is lost; try again later.
        // The changes this delta carried are gone from the operators' tracking: the next snapshot is full.
        this.snapshotInFlight = undefined;
        this.forceFull = true;
        this.cfg.inspection.emit({ type: 'actor.snapshotFailed', job: this.cfg.job, actor: this.cfg.name, subtask: this.cfg.subtask, error });
        this.cfg.clock.setTimeout(() => this.cfg.scheduler.schedule(this), 100);
      },
    );
  }

  /**
   * With a volatile store (memory) and operators whose values are only ever replaced, a local
   * snapshot needs no encoding: it keeps every operator's entries by reference (a copy of the
   * key and value columns), which costs a fraction of packing them. Restores read it directly.
   */
  private byReference(): boolean {
    if (this.cfg.store.volatile !== true) return false;
    for (const op of this.cfg.operators) if (op.stateful && !(op.snapshotByReference?.() === true && op.snapshotDelta && op.restoreDelta)) return false;
    return true;
  }

  private referenceSnapshot: TaskSnapshot | undefined;
  private referenceSnapshots = 0;

  private keepByReference(startedAt: number): void {
    const payload = this.snapshotPayload(false, undefined, true);
    // Unserialisable state (a function, a symbol) fails the job at its first snapshot, as a packed one would; later ones are walked now and then.
    if (this.referenceSnapshots++ % 16 === 0) {
      try {
        this.cfg.operators.forEach((op, i) => op.stateful && assertSerializable(payload.operators[i], op.name));
      } catch (error) {
        this.running = false;
        this.cfg.fatal(error instanceof Error ? error : new Error(String(error)));
        return;
      }
    }
    // A packed chain taken before is obsolete; a later packed snapshot starts a new one with a full
    // snapshot (so no operator needs to track its changes meanwhile).
    for (const old of this.localChain.slice(1)) void this.cfg.store.delete(old).catch(() => {});
    this.localChain = [];
    this.referenceSnapshot = payload;
    this.lastSnapshotBytes = Infinity;
    this.log.trim(this.log.mark());
    this.batchesSinceSnapshot = 0;
    this.busyMsSinceSnapshot = 0;
    this.lastSnapshotMs = performance.now() - startedAt;
    this.cfg.inspection.emit({ type: 'actor.snapshot', job: this.cfg.job, actor: this.cfg.name, subtask: this.cfg.subtask, bytes: 0, byReference: true });
  }

  /** Local snapshot chain: the full snapshot's key, then its deltas in order. */
  private localChain: string[] = [];
  private fullBytes = 0;
  private deltaBytes = 0;
  private forceFull = false;

  /** A delta, unless there is no full base yet, the chain is long, or the deltas outweigh a full snapshot. */
  private deltaDue(): boolean {
    if (this.forceFull) {
      this.forceFull = false;
      return false;
    }
    if (this.localChain.length === 0 || this.localChain.length > 1024 || this.deltaBytes > this.fullBytes) return false;
    // Operators whose full local snapshot is cheap (an lmdb view) take full ones; a delta would copy state to the heap.
    if (this.cfg.operators.some((op) => op.stateful && op.cheapLocalSnapshot?.() === true)) return false;
    return this.cfg.operators.some((op) => op.snapshotDelta !== undefined);
  }

  /** `byReference`: stateful operators give all their entries as a delta, to be applied on a fresh state. */
  private snapshotPayload(delta = false, checkpointId?: number, byReference = false, parts?: Array<CheckpointParts | undefined>, local = false): TaskSnapshot {
    return {
      delta: delta || byReference,
      operators: this.cfg.operators.map((op, i) =>
        parts?.[i] !== undefined ? null : byReference && op.stateful ? op.snapshotDelta!(true) : delta && op.snapshotDelta ? op.snapshotDelta() : local && op.snapshotLocal && op.cheapLocalSnapshot?.() === true ? op.snapshotLocal() : op.snapshotState ? op.snapshotState() : null,
      ),
      uids: this.cfg.uids,
      sourceUid: this.cfg.sourceUid,
      gate: this.cfg.gate.snapshot(),
      sides: [...this.cfg.sideOutputs].map(([tag, g]) => [tag, g.snapshot()]),
      inputs: this.cfg.source ? null : this.inputs.snapshot(),
      source: this.cfg.source ? this.cfg.source.snapshot(checkpointId) : null,
      readCount: this.readCount,
      sinkCount: this.sinkGuard.snapshot(),
      deadLetterCount: this.deadLetterGuard.snapshot(),
      ended: this.ended,
    };
  }

  /**
   * Takes this actor's part of checkpoint `id` at a barrier: operators pre-commit (2PC sinks),
   * the state is captured synchronously, the barrier is forwarded after every record before it,
   * and the snapshot is written and acknowledged asynchronously while records keep flowing.
   */
  private checkpoint(id: number, savepoint: boolean): void | Promise<void> {
    const handles = this.cfg.operators.map((op) => op.onBarrier?.(id));
    const finish = () => {
      this.sealPartials();
      let payload: TaskSnapshot;
      // Keyed operators that offer their state by key group (not for savepoints: those stand alone)
      // give it as parts, packed after the barrier went on and uploaded only where it changed.
      const parts = this.cfg.operators.map((op) => (savepoint || !op.checkpointParts ? undefined : op.checkpointParts(id)));
      let packed: Uint8Array | undefined;
      try {
        payload = this.snapshotPayload(false, id, false, parts);
        this.cfg.operators.forEach((op, i) => op.stateful && parts[i] === undefined && assertSerializable(payload.operators[i], op.name));
        // State not offered as parts may be live objects (a MapState's Maps, a value changed in
        // place): the records after the barrier change them while the parts upload, so it is
        // captured now, packed at once when there are no parts, copied beside them otherwise.
        if (parts.every((p) => p === undefined)) packed = encodeSnapshot(payload, { job: this.cfg.job, operator: this.cfg.name, kind: savepoint ? 'savepoint' : 'checkpoint' });
        else this.cfg.operators.forEach((op, i) => { if (op.stateful && parts[i] === undefined) payload.operators[i] = unpackValue(packValue(payload.operators[i])); });
      } catch (error) {
        for (const p of parts) p?.release?.();
        this.cfg.checkpoints?.decline(this, id, error);
        return;
      }
      this.cfg.gate.emitControl((seq) => ({ kind: 'barrier', seq, checkpointId: id, savepoint }));
      for (const g of this.cfg.sideOutputs.values()) g.emitControl((seq) => ({ kind: 'barrier', seq, checkpointId: id, savepoint }));
      const key = checkpointKey(this.cfg.job, id, this.checkpointName);
      this.writeCheckpoint(id, key, payload, parts, savepoint, packed).then(
        ({ bytes, shared }) => this.cfg.checkpoints?.acknowledge(this, id, key, bytes, shared, payload.ended === true),
        (error: unknown) => this.cfg.checkpoints?.decline(this, id, error),
      );
    };
    if (handles.some((h) => h instanceof Promise)) return Promise.all(handles).then(finish);
    finish();
  }

  /** Per operator, the blob of each key group in the last completed checkpoint (for incremental checkpoints). */
  private committedParts: Array<Map<number, string>> = [];
  /** The same for checkpoints written but not yet complete, by id. */
  private writtenParts = new Map<number, Array<Map<number, string>>>();

  /**
   * Packs and writes the changed key groups of `parts` in turns of the scheduler (so batches run
   * in between), references the unchanged ones from the last completed checkpoint, then writes
   * the actor's snapshot.
   */
  private async writeCheckpoint(id: number, key: string, payload: TaskSnapshot, parts: Array<CheckpointParts | undefined>, savepoint: boolean, packed?: Uint8Array): Promise<{ bytes: number; shared: string[] }> {
    try {
      const packing: PartsPacking = { bytes: 0, puts: [], written: [] };
      // Each turn about a batch's time, at least a couple of milliseconds' work.
      if (parts.some((p) => p !== undefined)) await runInTurns(this.cfg.scheduler, this.packParts(id, payload, parts, packing), () => Math.min(CHECKPOINT_SLICE_MAX_MS, Math.max(CHECKPOINT_SLICE_MS, this.lastTurnMs)));
      await Promise.all(packing.puts);
      const main = packed ?? encodeSnapshot(payload, { job: this.cfg.job, operator: this.cfg.name, kind: savepoint ? 'savepoint' : 'checkpoint' });
      await this.cfg.store.put(key, main);
      if (packing.written.length > 0) this.writtenParts.set(id, packing.written);
      return { bytes: packing.bytes + main.length, shared: referencedParts(payload) };
    } finally {
      for (const p of parts) p?.release?.();
    }
  }

  /** The packing of `parts` as steps (a regrouping step, or one key group packed and put), yielding between them. */
  private *packParts(id: number, payload: TaskSnapshot, parts: Array<CheckpointParts | undefined>, into: PartsPacking): Generator<void, void, void> {
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (!p) continue;
      if (p.prepare) while (!p.prepare()) yield;
      const previous = this.committedParts[i] ?? new Map<number, string>();
      const now = new Map<number, string>();
      for (const g of p.groups) {
        const old = previous.get(g);
        if (old !== undefined && p.changed !== 'all' && !p.changed.has(g)) {
          now.set(g, old);
          continue;
        }
        const entry = p.part(g);
        assertSerializable(entry, this.cfg.operators[i]!.name);
        const blob = encodeSnapshot(entry, { job: this.cfg.job, operator: this.cfg.name, kind: 'part' });
        const k = partKey(this.cfg.job, this.checkpointName, i, g, id);
        into.bytes += blob.length;
        into.puts.push(this.cfg.store.put(k, blob));
        now.set(g, k);
        yield;
      }
      into.written[i] = now;
      payload.operators[i] = { $weirParts: 1, base: p.base, groups: [...now] } satisfies PartsRef;
    }
  }

  private fail(error: unknown): void {
    this.running = false;
    this.incarnation++;
    this.clearTimers();
    this.processingTimeDue = false;
    const identity = this.current.identity;
    this.lifecycle.send({ type: 'FAILED', error: causeText(error) });
    this.cfg.inspection.emit({ type: 'actor.failed', job: this.cfg.job, actor: this.cfg.name, subtask: this.cfg.subtask, error, attempt: this.restarts + 1 });
    // A two-phase-commit sink's open transaction cannot be rebuilt from a local snapshot (its records
    // live in the external system), so its actor never recovers alone: the job rolls back to its last
    // checkpoint, where transactions and replay line up.
    if (this.cfg.operators.some((op) => (op as { twoPhase?: boolean }).twoPhase === true)) {
      this.cfg.fatal(new WeirError('WEIR_SINK_FAILED', `transactional sink failed, rolling the job back to its last checkpoint: ${causeText(error)}`, { job: this.cfg.job, operator: this.cfg.name, subtask: this.cfg.subtask }, { cause: error }));
      return;
    }
    const sourceBatch = identity !== '' && this.current.readEnd >= 0;
    const { readStart, readEnd } = this.current;
    const failures = sourceBatch ? this.poison.failedRange(readStart, readEnd) : this.poison.failed(identity);
    if (identity !== '' && failures >= 2 && failures > this.cfg.supervisor.maxRestarts) {
      if (this.cfg.poisonPolicy === 'fail') {
        this.cfg.fatal(new PoisonRecordError(this.cfg.name, identity, failures, error));
        return;
      }
      if (sourceBatch) this.poison.poisonRange(readStart, readEnd);
      else this.poison.poison(identity);
      this.cfg.supervisor.childFailed(this, error, false);
      return;
    }
    this.cfg.supervisor.childFailed(this, error, true);
  }

  restart(attempt: number, backoffMs: number): void {
    if (lifecycleState(this.lifecycle) !== 'failed') {
      // one-for-all / rest-for-one: a healthy sibling restarts too.
      this.running = false;
      this.incarnation++;
      this.clearTimers();
      this.lifecycle.send({ type: 'FAILED', error: 'restarted with a sibling' });
    }
    this.lifecycle.send({ type: 'RESTART' });
    this.restarts++;
    const incarnation = this.incarnation;
    void this.restore().then(
      (replayed) => {
        if (incarnation !== this.incarnation) return;
        this.busy = false;
        this.running = true;
        this.lifecycle.send({ type: 'RESTORED' });
        if (this.ended) this.lifecycle.send({ type: 'FINISH' });
        this.armProcessingTime();
        this.cfg.inspection.emit({ type: 'actor.restarted', job: this.cfg.job, actor: this.cfg.name, subtask: this.cfg.subtask, attempt, replayed, backoffMs });
        this.cfg.scheduler.schedule(this);
      },
      (error) => this.cfg.fatal(error instanceof Error ? error : new Error(String(error))),
    );
  }

  private async restore(): Promise<number> {
    while (this.snapshotInFlight) await this.snapshotInFlight;
    if (this.light) {
      await this.applySnapshot(this.lightSnapshot!);
      const waiting = this.lightWaiting;
      if (waiting) {
        this.cfg.gate.restoreWaiting(waiting.gate);
        for (const [tag, w] of waiting.sides) this.cfg.sideOutputs.get(tag)?.restoreWaiting(w);
      }
    }
    else if (this.referenceSnapshot !== undefined) {
      if (!this.byReference())
        throw new WeirError('WEIR_LOCAL_SNAPSHOT_UNSAFE', 'a state value was changed in place after the local snapshot kept it by reference (a reduce function returned its accumulator after a long run of new values); the actor cannot restart from it', { job: this.cfg.job, operator: this.cfg.name, subtask: this.cfg.subtask });
      for (const op of this.cfg.operators) if (op.stateful) await op.restoreState?.(null);
      await this.applySnapshot(this.referenceSnapshot);
    } else {
      await this.applySnapshot(await this.readSnapshot(this.snapshotKey));
      for (const key of this.localChain.slice(1)) await this.applySnapshot(await this.readSnapshot(key));
    }
    return this.log.rewind();
  }

  private async applySnapshot(s: TaskSnapshot): Promise<void> {
    this.chain.discardSideOutputs();
    for (let i = 0; i < this.cfg.operators.length; i++) {
      const op = this.cfg.operators[i]!;
      if (s.delta && op.restoreDelta) op.restoreDelta(s.operators[i]);
      else await op.restoreState?.(s.operators[i]);
    }
    this.cfg.gate.restore(s.gate);
    for (const [tag, g] of s.sides) this.cfg.sideOutputs.get(tag)?.restore(g);
    if (s.inputs) this.inputs.restore(s.inputs);
    if (this.cfg.source) this.cfg.source.restore(s.source);
    this.readCount = s.readCount;
    this.sinkGuard.restore(s.sinkCount);
    this.deadLetterGuard.restore(s.deadLetterCount);
    this.ended = s.ended === true;
    this.sourceExhausted = this.ended && this.cfg.source !== undefined;
    this.finalCheckpointDone = false;
    this.batchesSinceSnapshot = 0;
    this.aligner.reset(this.inputs);
  }

  /**
   * Rescaled restore: every operator takes what it owns from all old subtasks' states (keyed
   * operators filter by key group); channel positions start at zero because every channel is new.
   */
  private async applyRescaled(snapshots: TaskSnapshot[]): Promise<void> {
    if (this.cfg.source) throw new InvalidJobError(`source '${this.cfg.name}' cannot change parallelism on restore; keep its parallelism with setParallelism()`);
    for (let i = 0; i < this.cfg.operators.length; i++) {
      const op = this.cfg.operators[i]!;
      const states = snapshots.map((s) => s.operators[i]);
      if (op.restoreRescaled) await op.restoreRescaled(states);
      else if (op.stateful) throw new InvalidJobError(`operator '${op.name}' keeps state that cannot be redistributed to a new parallelism`);
      else await op.restoreState?.(null);
    }
  }

  /**
   * Restore by operator uid: each operator takes its state from the old operator with the same
   * uid, wherever it was chained (keyed operators keep their key groups); the source resumes from
   * the same subtask of the old source. Channel positions start at zero, as every channel does.
   */
  private async applyAssigned(assigned: AssignedState): Promise<void> {
    for (let i = 0; i < this.cfg.operators.length; i++) {
      const op = this.cfg.operators[i]!;
      const states = assigned.operators[i]!;
      if (states.length === 0) await op.restoreState?.(null);
      else if (assigned.oldParallelism[i] === this.cfg.parallelism && !op.restoreRescaled) await op.restoreState?.(states[this.cfg.subtask]);
      else if (op.restoreRescaled) await op.restoreRescaled(states);
      else if (op.stateful) throw new InvalidJobError(`operator '${op.name}' keeps state that cannot be redistributed to a new parallelism (it ran at ${assigned.oldParallelism[i]}, now ${this.cfg.parallelism})`);
      else await op.restoreState?.(null);
    }
    if (this.cfg.source && assigned.hasSource) this.cfg.source.restore(assigned.source);
  }

  private async readSnapshot(key: string): Promise<TaskSnapshot> {
    const bytes = await this.cfg.store.get(key);
    if (!bytes) throw new WeirError('WEIR_SNAPSHOT_MISSING', `no snapshot '${key}' to restore from`, { job: this.cfg.job, operator: this.cfg.name, subtask: this.cfg.subtask });
    // A restored operator's changes are no longer relative to any checkpoint's key groups: the next checkpoint is full.
    this.committedParts = [];
    const payload = decodeSnapshot(bytes, { job: this.cfg.job, operator: this.cfg.name, key }).payload as TaskSnapshot;
    return resolveParts(payload, this.cfg.store, { job: this.cfg.job, operator: this.cfg.name });
  }

  stop(): void {
    this.stopped = true;
    this.running = false;
    this.incarnation++;
    this.clearTimers();
    if (!['finished', 'stopped', 'dead'].includes(lifecycleState(this.lifecycle))) this.lifecycle.send({ type: 'STOP' });
  }

  /**
   * Closes operators and the source when the job ends. Each is closed even when one before it
   * failed (a sink whose close throws must not leave the source's connection open, which kept the
   * process alive); the first failure is reported once all are closed. Every call returns the same
   * promise.
   */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      let failure: { error: unknown } | undefined;
      for (const close of [...this.cfg.operators.map((op) => () => op.close?.()), () => this.cfg.source?.close()]) {
        try {
          await close();
        } catch (error) {
          failure ??= { error };
        }
      }
      this.lifecycle.stop();
      if (failure) throw failure.error;
    })());
  }

  private emitDeadLetter(error: unknown, record: unknown, position?: number): void {
    if (this.deadLetterGuard.admit(1) > 0) return;
    const site = { job: this.cfg.job, operator: this.cfg.name, subtask: this.cfg.subtask, position };
    const letter = toDeadLetter(error, error instanceof UserFunctionError ? error.record : record, site);
    this.cfg.deadLetter(letter);
    this.cfg.inspection.emit({ type: 'deadLetter', job: this.cfg.job, letter: { operator: letter.operator, subtask: letter.subtask, reason: letter.reason, code: letter.code, record: letter.record } });
  }

  private operatorContext(): OperatorContext {
    return {
      job: this.cfg.job,
      operator: this.cfg.name,
      subtask: this.cfg.subtask,
      parallelism: this.cfg.parallelism,
      maxParallelism: this.cfg.maxParallelism,
      stateBackend: this.cfg.stateBackend,
      clock: this.cfg.clock,
      inspection: this.cfg.inspection,
      deadLetter: (error, record) => this.emitDeadLetter(error, record),
      sideOutput: (tag) => this.chain.sideOutput(tag, this.cfg.sideOutputs.get(tag)),
      currentWatermark: () => this.chain.currentWatermark,
      tracedRecords: () => this.chain.tracedRecords(),
      fence: this.cfg.fence,
      checkpointing: this.cfg.checkpoints !== undefined,
    };
  }

  private blocked(): boolean {
    if (this.cfg.gate.blocked()) return true;
    for (const g of this.cfg.sideOutputs.values()) if (g.blocked()) return true;
    return false;
  }

  private canFlush(): boolean {
    if (this.cfg.gate.canProgress()) return true;
    for (const g of this.cfg.sideOutputs.values()) if (g.canProgress()) return true;
    return false;
  }

  private flushAll(): boolean {
    let done = this.cfg.gate.flush();
    for (const g of this.cfg.sideOutputs.values()) done = g.flush() && done;
    return done;
  }

  private sealPartials(): void {
    this.chain.flushSideOutputs();
    this.cfg.gate.sealPartial();
    for (const g of this.cfg.sideOutputs.values()) g.sealPartial();
  }

  /** The chain's name (its operators joined by ' -> '). */
  get name(): string {
    return this.cfg.name;
  }

  get subtask(): number {
    return this.cfg.subtask;
  }

  /** Records this actor took in (replays included), for metrics. */
  recordsIn = 0;
  /** Time spent processing (turns), ms. */
  busyMs = 0;
  /** Time spent waiting for downstream credit, ms (completed periods). */
  backpressuredMs = 0;
  private blockedSince: number | undefined;

  /** Live figures for metrics: counters, back-pressure (including a period still going on), mailbox depth, watermark. */
  figures(): { recordsIn: number; recordsOut: number; busyMs: number; backpressuredMs: number; mailboxDepth: number; watermark: number; replayLogPeak: number } {
    let depth = 0;
    for (const c of this.cfg.inputs) depth += c.size();
    return {
      recordsIn: this.cfg.source ? this.readCount : this.recordsIn,
      recordsOut: this.cfg.gate.recordsOut + (this.cfg.operators.some((o) => (o as { sink?: boolean }).sink) ? this.sinkGuard.total : 0),
      busyMs: this.busyMs,
      backpressuredMs: this.backpressuredMs + (this.blockedSince === undefined ? 0 : performance.now() - this.blockedSince),
      mailboxDepth: depth,
      watermark: this.chain.currentWatermark,
      replayLogPeak: this.log.peak,
    };
  }

  /** Records sent so far on each output channel (main and side outputs), by channel id: records/s per edge for status views. */
  outputFigures(): Array<{ channel: string; records: number }> {
    const out: Array<{ channel: string; records: number }> = [];
    for (const gate of [this.cfg.gate, ...this.cfg.sideOutputs.values()]) {
      const records = gate.channelRecords();
      gate.channels.forEach((c, i) => out.push({ channel: c.id, records: records[i]! }));
    }
    return out;
  }

  /** Peak envelopes waiting in each input channel (the runtime's own bound check). */
  inputPeaks(): number[] {
    return this.cfg.inputs.map((c) => c.peakSize());
  }

  /** Records handed to this actor's sink (each exactly once, replays excluded). */
  get recordsWritten(): number {
    return this.sinkGuard.total;
  }

  /** Records read by a source task. */
  get recordsRead(): number {
    return this.readCount;
  }
}

export type { BatchOut };
