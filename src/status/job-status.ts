import type { InspectionEvent } from '../runtime/inspection.ts';
import type { JobGraph, JobMetrics } from '../runtime/job.ts';
import { causeText } from '../errors.ts';
import { RingBuffer } from './ring-buffer.ts';
import { recordPreview } from './record-preview.ts';

/** One actor (a chain subtask) in a {@link LiveJobStatus}: shares of the last interval, depth now. */
export interface ActorStatus {
  id: string;
  operator: string;
  subtask: number;
  state: string;
  /** Shares of the last interval (0..1): processing, waiting for downstream credit, and neither. */
  busy: number;
  backpressured: number;
  idle: number;
  mailboxDepth: number;
  /** Envelopes its mailbox holds at most (capacity per input channel times channels). */
  mailboxCapacity: number;
  inPerSec: number;
  outPerSec: number;
  /** Event-time watermark (ms), or null before the first one / after the end. */
  watermark: number | null;
  restarts: number;
  node?: string;
}

/** A checkpoint in the history: completed (duration, size) or failed (reason). */
export interface CheckpointEntry {
  id: number;
  at: number;
  status: 'completed' | 'aborted' | 'skipped';
  durationMs?: number;
  bytes?: number;
  /** Longest barrier alignment of the actors this process runs, ms. */
  alignmentMs?: number;
  reason?: string;
}

/** A restart with its cause: one actor (restored from its last local snapshot, input replayed) or the whole job (from a checkpoint). */
export interface RestartEntry {
  at: number;
  scope: 'actor' | 'job';
  actor?: string;
  subtask?: number;
  attempt: number;
  cause: string;
  /** Where it restored from, in words. */
  restoredFrom: string;
}

/** A dead letter: where, why, and the record (truncated, secrets masked). */
export interface DeadLetterEntry {
  at: number;
  operator: string;
  subtask: number;
  code: string;
  reason: string;
  record: string;
}

/**
 * Everything a status view shows of one job, as plain JSON (it travels over NATS and SSE).
 * Histories are bounded rings: the newest samples, checkpoints, restarts and dead letters.
 */
export interface LiveJobStatus {
  job: string;
  state: 'running' | 'completed' | 'failed' | 'cancelled';
  error?: string;
  startedAt: number;
  /** Wall-clock time of this sample. */
  at: number;
  parallelism: number;
  recordsIn: number;
  recordsOut: number;
  inPerSec: number;
  outPerSec: number;
  /** Wall clock minus the lowest watermark of the job's actors (ms), or null when none has one. */
  watermarkLagMs: number | null;
  lastCheckpoint?: CheckpointEntry;
  checkpointFailures: number;
  checkpoints: CheckpointEntry[];
  restarts: number;
  restartLog: RestartEntry[];
  deadLetters: number;
  deadLetterLog: DeadLetterEntry[];
  actors: ActorStatus[];
  /** Records/s on each edge of the graph (by edge index), summed over its channels. */
  edgeRates: number[];
  graph: JobGraph;
  /** Per sample, oldest first: time, records/s in and out, watermark lag. */
  history: { t: number[]; inPerSec: number[]; outPerSec: number[]; lagMs: Array<number | null> };
  /** Newest sampled records' traceparents (with the chain they started at). */
  traces: Array<{ traceparent: string; operator: string }>;
  /** Nodes reporting this job (over NATS). */
  nodes?: string[];
}

const HISTORY = 120;
const LOG = 50;

/**
 * Follows one job: inspection events update its checkpoint, restart and dead-letter rings as they
 * happen; `sample(metrics)` (once per interval, never per record) turns the job's counters into
 * rates and shares. Memory is bounded by the rings whatever the job's age.
 */
export class JobStatusTracker {
  private state: LiveJobStatus['state'] = 'running';
  private error?: string;
  private readonly checkpoints = new RingBuffer<CheckpointEntry>(LOG);
  private checkpointFailures = 0;
  private readonly restartLog = new RingBuffer<RestartEntry>(LOG);
  private jobRestarts = 0;
  /** Actor restarts of runs a rollback replaced (a rolled-back run's counters start again at zero). */
  private carriedRestarts = 0;
  private readonly deadLetterLog = new RingBuffer<DeadLetterEntry>(LOG);
  private readonly samples = new RingBuffer<{ t: number; inPerSec: number; outPerSec: number; lagMs: number | null }>(HISTORY);
  /** Causes of actor failures, until the restart that follows them. */
  private readonly failures = new Map<string, string>();
  /** Longest alignment per checkpoint still in progress (a few at most: older ones are dropped). */
  private readonly alignments = new Map<number, number>();
  private previous?: { at: number; metrics: JobMetrics };
  private latest?: LiveJobStatus;
  private ended = false;

  constructor(
    readonly job: string,
    private readonly startedAt: number,
  ) {}

  /** Takes one inspection event of this job. */
  onEvent(e: InspectionEvent, at: number): void {
    switch (e.type) {
      case 'actor.aligned':
        this.alignments.set(e.checkpointId, Math.max(this.alignments.get(e.checkpointId) ?? 0, e.alignmentMs));
        for (const id of this.alignments.keys()) if (id < e.checkpointId - 8) this.alignments.delete(id);
        break;
      case 'checkpoint.completed':
        this.checkpoints.push({ id: e.checkpointId, at, status: 'completed', durationMs: e.durationMs, bytes: e.bytes, alignmentMs: this.alignments.get(e.checkpointId) });
        this.alignments.delete(e.checkpointId);
        break;
      case 'checkpoint.aborted':
      case 'checkpoint.skipped':
        this.checkpointFailures++;
        this.checkpoints.push({ id: e.checkpointId, at, status: e.type === 'checkpoint.aborted' ? 'aborted' : 'skipped', reason: e.reason });
        break;
      case 'actor.failed':
        this.failures.set(`${e.actor}/${e.subtask}`, causeText(e.error));
        break;
      case 'actor.restarted': {
        const key = `${e.actor}/${e.subtask}`;
        this.restartLog.push({ at, scope: 'actor', actor: e.actor, subtask: e.subtask, attempt: e.attempt, cause: this.failures.get(key) ?? 'restarted with a sibling', restoredFrom: `its last local snapshot, ${e.replayed} input batch${e.replayed === 1 ? '' : 'es'} replayed` });
        this.failures.delete(key);
        break;
      }
      case 'job.restarted':
        this.jobRestarts++;
        this.carriedRestarts += this.previous?.metrics.restarts ?? 0;
        this.restartLog.push({ at, scope: 'job', attempt: e.attempt, cause: causeText(e.cause), restoredFrom: e.checkpointId > 0 ? `checkpoint ${e.checkpointId}` : 'the start (no completed checkpoint)' });
        break;
      case 'deadLetter':
        this.deadLetterLog.push({ at, operator: e.letter.operator, subtask: e.letter.subtask, code: e.letter.code, reason: e.letter.reason, record: recordPreview(e.letter.record) });
        break;
      case 'job.finished':
        if (this.ended) break;
        this.state = e.status;
        if (e.error !== undefined && e.status === 'failed') this.error = causeText(e.error);
        break;
      case 'job.started':
        // A rollback starts the job again: it runs.
        if (this.ended) break;
        this.state = 'running';
        this.error = undefined;
        break;
    }
  }

  /** The job's end, as its handle reports it (authoritative: a rollback's inner runs also end and start). */
  finished(state: Exclude<LiveJobStatus['state'], 'running'>, error?: unknown): void {
    this.ended = true;
    this.state = state;
    this.error = error === undefined || state !== 'failed' ? undefined : causeText(error);
  }

  /** Takes the job's counters now and returns its status (rates over the time since the last sample). */
  sample(metrics: JobMetrics, at: number): LiveJobStatus {
    const prev = this.previous;
    const seconds = prev ? Math.max(1e-3, (at - prev.at) / 1000) : 0;
    const rate = (now: number, before: number | undefined) => (prev && before !== undefined ? Math.max(0, now - before) / seconds : 0);
    const before = new Map(prev?.metrics.actors.map((a) => [a.id, a]));
    let lowest = Infinity;
    const actors: ActorStatus[] = metrics.actors.map((a) => {
      const b = before.get(a.id);
      const ms = seconds * 1000;
      const busy = b && ms > 0 ? clamp01((a.busyMs - b.busyMs) / ms) : 0;
      const backpressured = b && ms > 0 ? clamp01((a.backpressuredMs - b.backpressuredMs) / ms) : 0;
      const watermark = Number.isFinite(a.watermark) ? a.watermark : null;
      if (watermark !== null && a.state !== 'finished') lowest = Math.min(lowest, watermark);
      return {
        id: a.id,
        operator: a.operator,
        subtask: a.subtask,
        state: a.state,
        busy,
        backpressured,
        idle: clamp01(1 - busy - backpressured),
        mailboxDepth: a.mailboxDepth,
        mailboxCapacity: a.capacity * Math.max(1, a.inputPeaks.length),
        inPerSec: rate(a.recordsIn, b?.recordsIn),
        outPerSec: rate(a.recordsOut, b?.recordsOut),
        watermark,
        restarts: a.restarts,
      };
    });
    const edgeRates = metrics.graph.edges.map(() => 0);
    const beforeChannels = new Map(prev?.metrics.actors.flatMap((a) => a.outputs.map((o) => [o.channel, o.records] as const)));
    for (const a of metrics.actors) {
      for (const o of a.outputs) {
        const edge = Number(o.channel.split('.').at(-3));
        if (edge >= 0 && edge < edgeRates.length) edgeRates[edge]! += rate(o.records, beforeChannels.get(o.channel));
      }
    }
    const lagMs = Number.isFinite(lowest) ? Math.max(0, at - lowest) : null;
    const inPerSec = rate(metrics.recordsIn, prev?.metrics.recordsIn);
    const outPerSec = rate(metrics.recordsOut, prev?.metrics.recordsOut);
    if (prev) this.samples.push({ t: at, inPerSec, outPerSec, lagMs });
    this.previous = { at, metrics };
    const samples = this.samples.toArray();
    const checkpoints = this.checkpoints.toArray();
    const completed = checkpoints.filter((c) => c.status === 'completed');
    this.latest = {
      job: this.job,
      state: this.state,
      error: this.error,
      startedAt: this.startedAt,
      at,
      parallelism: Math.max(1, ...metrics.graph.chains.map((c) => c.parallelism)),
      recordsIn: metrics.recordsIn,
      recordsOut: metrics.recordsOut,
      inPerSec,
      outPerSec,
      watermarkLagMs: lagMs,
      lastCheckpoint: completed.at(-1),
      checkpointFailures: this.checkpointFailures,
      checkpoints,
      restarts: metrics.restarts + this.carriedRestarts + this.jobRestarts,
      restartLog: this.restartLog.toArray(),
      deadLetters: metrics.deadLetters,
      deadLetterLog: this.deadLetterLog.toArray(),
      actors,
      edgeRates,
      graph: metrics.graph,
      history: { t: samples.map((s) => s.t), inPerSec: samples.map((s) => s.inPerSec), outPerSec: samples.map((s) => s.outPerSec), lagMs: samples.map((s) => s.lagMs) },
      traces: metrics.sampledTraces,
    };
    return this.latest;
  }

  /** The last sampled status with the events since (state, rings), or undefined before the first sample. */
  status(at: number): LiveJobStatus | undefined {
    if (!this.latest) return undefined;
    const checkpoints = this.checkpoints.toArray();
    return { ...this.latest, at, state: this.state, error: this.error, checkpoints, lastCheckpoint: checkpoints.filter((c) => c.status === 'completed').at(-1), checkpointFailures: this.checkpointFailures, restartLog: this.restartLog.toArray(), deadLetterLog: this.deadLetterLog.toArray() };
  }
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
