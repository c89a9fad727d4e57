/** What the coordinator needs of an actor (a local task actor, or a stand-in for one on another node). */
export interface CheckpointParticipant {
  readonly checkpointName: string;
  readonly id: string;
  state(): string;
  /** `final`: every part of the checkpoint was taken after its actor's end of input; ended actors finish then. */
  notifyCheckpointComplete(checkpointId: number, final?: boolean): Promise<void>;
}

/** A source actor: checkpoints start there. */
export interface CheckpointSource extends CheckpointParticipant {
  triggerCheckpoint(checkpointId: number, savepoint: boolean): void;
}
import type { SnapshotStore } from './stores/snapshot-store.ts';
import type { Clock } from '../time/clock.ts';
import type { InspectionBus } from '../runtime/inspection.ts';
import { startCheckpointMachine, type CheckpointMachineActor } from './coordinator-machine.ts';
import { checkpointMetadataKey, checkpointPrefix } from './checkpoint-keys.ts';
import { packValue } from '../state/snapshot-codec.ts';
import { partSuffix } from './checkpoint-parts.ts';
import { WeirError, causeText } from '../errors.ts';

/** When and how a job checkpoints. */
export interface CheckpointConfig {
  /** Time from the start of one checkpoint to the start of the next (Flink's checkpoint interval). */
  intervalMs: number;
  /** At least this long between the end of one checkpoint and the start of the next, so slow checkpoints leave room for work (default 0). */
  minPauseMs?: number;
  /** A checkpoint not complete after this long is aborted (default 60 s). */
  timeoutMs?: number;
  /** Consecutive failed checkpoints tolerated before the job fails (default 3). */
  tolerableFailures?: number;
  /** Completed checkpoints kept in the store (default 3). */
  retain?: number;
}

/** What the metadata of a completed checkpoint records. */
export interface CheckpointMetadata {
  id: number;
  job: string;
  savepoint: boolean;
  /** Actor checkpoint name → snapshot key. */
  actors: Record<string, string>;
  /** Bytes this checkpoint wrote (with incremental checkpoints: only the key groups that changed). */
  bytes: number;
  /** Blobs under `job/shared/` the checkpoint references (key groups, some written by earlier checkpoints). */
  shared?: string[];
  completedAt: number;
}

/**
 * Runs a job's checkpoints: injects barriers at the sources, collects one acknowledgement per
 * actor, writes the metadata that marks the checkpoint complete (last, so an incomplete one is
 * never restored), tells every actor (2PC sinks commit then) and keeps the newest N.
 *
 * Final checkpoints (Flink's FLIP-147): actors that reached the end of their input keep taking
 * part (their snapshots say so), and a checkpoint all of whose parts were taken after end of
 * input is final: when it completes, the actors commit and finish, and no checkpoint follows. An
 * actor's end of input ({@link CheckpointCoordinator.endOfInput}) brings the next checkpoint forward,
 * so a bounded job does not wait an interval for its final one.
 */
export class CheckpointCoordinator {
  private readonly machine: CheckpointMachineActor;
  private readonly config: Required<CheckpointConfig>;
  private lastId = 0;
  private pending = new Set<CheckpointParticipant>();
  private keys: Record<string, string> = {};
  private bytes = 0;
  private shared: string[] = [];
  /** Shared blobs each retained completed checkpoint references (reference counts, in effect). */
  private sharedOf = new Map<number, string[]>();
  private startedAt = 0;
  private savepoint = false;
  private timer: unknown;
  private timeout: unknown;
  private stopped = false;
  private waiters = new Map<number, { resolve: (m: CheckpointMetadata) => void; reject: (e: Error) => void }>();
  private completedIds: number[] = [];
  /** Every part acknowledged so far for the current checkpoint was taken after end of input. */
  private allEnded = true;
  /** An actor ended since the current (or last) checkpoint was triggered: take the next one at once. */
  private endSeen = false;
  /** A final checkpoint completed: the job is ending, no more checkpoints. */
  private finalCompleted = false;

  constructor(
    private readonly job: string,
    private readonly actors: CheckpointParticipant[],
    private readonly sources: CheckpointSource[],
    private readonly store: SnapshotStore,
    private readonly clock: Clock,
    private readonly inspection: InspectionBus,
    config: CheckpointConfig,
    private readonly onTooManyFailures: (error: Error) => void,
    firstId = 1,
  ) {
    this.config = { timeoutMs: 60_000, tolerableFailures: 3, retain: 3, minPauseMs: 0, ...config };
    this.lastId = firstId - 1;
    this.machine = startCheckpointMachine();
  }

  private started = false;

  /** Starts the periodic schedule. */
  start(): void {
    // Ids continue after every checkpoint already in the store (an earlier attempt or run of this
    // job): a new checkpoint never overwrites the files of an old one with the same id.
    void this.store
      .list(checkpointPrefix(this.job, 0).replace(/chk-0+$/, 'chk-'))
      .then((keys) => {
        for (const k of keys) {
          const id = Number(/chk-(\d+)\//.exec(k)?.[1]);
          if (id > this.lastId && this.machine.getSnapshot().value === 'idle') this.lastId = id;
        }
      })
      .catch(() => {})
      .finally(() => {
        this.started = true;
        this.schedule();
      });
  }

  /** Takes a checkpoint now (a savepoint when `savepoint`); resolves with its metadata when complete. */
  trigger(savepoint = false): Promise<CheckpointMetadata> {
    if (this.stopped || this.finalCompleted) return Promise.reject(new WeirError('WEIR_CHECKPOINT_DECLINED', 'the job is finishing or stopped: no more checkpoints', { job: this.job }));
    if (this.machine.getSnapshot().value !== 'idle') return Promise.reject(new WeirError('WEIR_CHECKPOINT_BUSY', `checkpoint ${this.lastId} is still in progress`, { job: this.job }));
    const id = ++this.lastId;
    this.machine.send({ type: 'TRIGGER', id });
    this.pending = new Set(this.actors);
    this.allEnded = true;
    this.endSeen = false;
    this.keys = {};
    this.bytes = 0;
    this.shared = [];
    this.savepoint = savepoint;
    this.startedAt = this.clock.now();
    this.inspection.emit({ type: 'checkpoint.started', job: this.job, checkpointId: id, savepoint });
    const done = new Promise<CheckpointMetadata>((resolve, reject) => this.waiters.set(id, { resolve, reject }));
    this.timeout = this.clock.setTimeout(() => this.abort(id, `timed out after ${this.config.timeoutMs} ms`), this.config.timeoutMs);
    for (const s of this.sources) s.triggerCheckpoint(id, savepoint);
    this.machine.send({ type: 'INJECTED' });
    return done;
  }

  /** `ended`: the actor took its part after its end of input. */
  acknowledge(actor: CheckpointParticipant, checkpointId: number, key: string, bytes: number, shared?: string[], ended = false): void {
    // A stopped job's late acknowledgements must not complete a checkpoint: its successor may already run.
    if (this.stopped || checkpointId !== this.current() || !this.pending.has(actor)) return;
    this.pending.delete(actor);
    if (!ended) this.allEnded = false;
    if (key) this.keys[actor.checkpointName] = key;
    this.bytes += bytes;
    if (shared) for (const k of shared) this.shared.push(k);
    if (this.pending.size === 0) {
      this.machine.send({ type: 'ALL_ACKED' });
      void this.complete(checkpointId);
    }
  }

  decline(actor: CheckpointParticipant, checkpointId: number, error: unknown): void {
    if (checkpointId !== this.current()) return;
    this.abort(checkpointId, `${actor.id} declined: ${causeText(error)}`);
  }

  /** An actor reached the end of its input (or was restored there): the next checkpoint, perhaps the final one, comes at once. */
  endOfInput(): void {
    if (this.stopped || this.finalCompleted) return;
    this.endSeen = true;
    if (this.started && this.machine.getSnapshot().value === 'idle') this.schedule();
  }

  /** Stops scheduling; an in-progress checkpoint is abandoned. */
  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    this.clock.clearTimeout(this.timeout);
    for (const [id, w] of this.waiters) w.reject(new WeirError('WEIR_CHECKPOINT_ABORTED', `checkpoint ${id} abandoned: the job stopped`, { job: this.job }));
    this.waiters.clear();
    this.machine.stop();
  }

  /** Ids of the checkpoints completed by this coordinator. */
  completed(): number[] {
    return this.completedIds.slice();
  }

  private current(): number | undefined {
    return this.machine.getSnapshot().context.current;
  }

  private async complete(id: number): Promise<void> {
    this.clock.clearTimeout(this.timeout);
    const meta: CheckpointMetadata = { id, job: this.job, savepoint: this.savepoint, actors: this.keys, bytes: this.bytes, shared: this.shared, completedAt: this.clock.now() };
    try {
      await this.store.put(checkpointMetadataKey(this.job, id), packValue(meta));
    } catch (e) {
      this.abort(id, `metadata not written: ${causeText(e)}`);
      return;
    }
    // Stopped meanwhile (the job failed): the checkpoint is complete on disk, but committing now could
    // race with the next attempt, which commits it itself if it restores from it.
    if (this.stopped) return;
    const final = this.allEnded;
    if (final) this.finalCompleted = true;
    this.machine.send({ type: 'COMPLETED' });
    this.completedIds.push(id);
    this.sharedOf.set(id, meta.shared ?? []);
    this.inspection.emit({ type: 'checkpoint.completed', job: this.job, checkpointId: id, durationMs: this.clock.now() - this.startedAt, bytes: this.bytes });
    for (const a of this.actors) await a.notifyCheckpointComplete(id, final);
    this.waiters.get(id)?.resolve(meta);
    this.waiters.delete(id);
    await this.retain().catch(() => {});
    this.lastEndAt = this.clock.now();
    this.schedule();
  }

  private abort(id: number, reason: string): void {
    if (id !== this.current()) return;
    this.clock.clearTimeout(this.timeout);
    this.machine.send({ type: 'FAIL', reason });
    this.inspection.emit({ type: 'checkpoint.aborted', job: this.job, checkpointId: id, reason });
    this.waiters.get(id)?.reject(new WeirError('WEIR_CHECKPOINT_ABORTED', `checkpoint ${id} aborted: ${reason}`, { job: this.job }));
    this.waiters.delete(id);
    void this.store.list(checkpointPrefix(this.job, id) + '/').then((keys) => Promise.all(keys.map((k) => this.store.delete(k)))).catch(() => {});
    // Key groups written for this checkpoint (their keys end in its id) are referenced by no completed one.
    const suffix = partSuffix(id);
    void this.store.list(`${this.job}/shared/`).then((keys) => Promise.all(keys.filter((k) => k.endsWith(suffix)).map((k) => this.store.delete(k)))).catch(() => {});
    if (this.machine.getSnapshot().context.consecutiveFailures > this.config.tolerableFailures) {
      this.onTooManyFailures(new WeirError('WEIR_CHECKPOINT_FAILURES', `more than ${this.config.tolerableFailures} consecutive checkpoints failed; last: ${reason}`, { job: this.job }));
      return;
    }
    this.lastEndAt = this.clock.now();
    this.schedule();
  }

  private async retain(): Promise<void> {
    const old = this.completedIds.slice(0, Math.max(0, this.completedIds.length - this.config.retain));
    for (const id of old) {
      const keys = await this.store.list(checkpointPrefix(this.job, id) + '/');
      // Metadata first: a half-deleted checkpoint must never look complete.
      await this.store.delete(checkpointMetadataKey(this.job, id));
      for (const k of keys) await this.store.delete(k);
    }
    this.completedIds = this.completedIds.slice(old.length);
    // A key group blob goes once no retained checkpoint references it.
    const live = new Set<string>();
    for (const id of this.completedIds) for (const k of this.sharedOf.get(id) ?? []) live.add(k);
    for (const id of old) {
      for (const k of this.sharedOf.get(id) ?? []) if (!live.has(k)) await this.store.delete(k);
      this.sharedOf.delete(id);
    }
  }

  private lastEndAt = -Infinity;

  /** The next periodic checkpoint: an interval after the last one started, and at least the minimum pause after it ended. */
  private schedule(): void {
    if (this.stopped || this.finalCompleted) return;
    this.clock.clearTimeout(this.timer);
    const now = this.clock.now();
    const at = Math.max(this.endSeen ? now : (this.startedAt || now) + this.config.intervalMs, this.lastEndAt + this.config.minPauseMs);
    this.timer = this.clock.setTimeout(() => {
      if (this.stopped || this.finalCompleted || this.machine.getSnapshot().value !== 'idle') return;
      this.trigger(false).catch(() => {});
    }, Math.max(0, at - now));
  }
}
