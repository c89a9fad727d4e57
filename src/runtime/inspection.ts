/**
 * One stream of typed runtime events (as xstate's inspection API): telemetry, the CLI status line
 * and tests subscribe here, so tracing and metrics calls are not scattered through the kernel.
 * Events are lifecycle-level only, never per record.
 */
export type InspectionEvent =
  | { type: 'actor.started'; job: string; actor: string; subtask: number; restored: boolean }
  | { type: 'actor.failed'; job: string; actor: string; subtask: number; error: unknown; attempt: number }
  | { type: 'actor.restarted'; job: string; actor: string; subtask: number; attempt: number; replayed: number; backoffMs: number }
  | { type: 'actor.stopped'; job: string; actor: string; subtask: number }
  /** A local snapshot landed: `bytes` encoded, or kept as values in memory (`byReference`, bytes 0). */
  | { type: 'actor.snapshot'; job: string; actor: string; subtask: number; bytes: number; byReference?: boolean }
  /** Barriers of a checkpoint arrived on every input: how long the first one held its input. */
  | { type: 'actor.aligned'; job: string; actor: string; subtask: number; checkpointId: number; alignmentMs: number }
  | { type: 'actor.snapshotFailed'; job: string; actor: string; subtask: number; error: unknown }
  | { type: 'deadLetter'; job: string; letter: DeadLetterSummary }
  | { type: 'window.fired'; job: string; actor: string; subtask: number; start: number; end: number; links: string[] }
  | { type: 'checkpoint.started'; job: string; checkpointId: number; savepoint: boolean }
  | { type: 'checkpoint.completed'; job: string; checkpointId: number; durationMs: number; bytes: number }
  | { type: 'checkpoint.aborted'; job: string; checkpointId: number; reason: string }
  | { type: 'checkpoint.skipped'; job: string; checkpointId: number; reason: string }
  | { type: 'job.started'; job: string }
  | { type: 'job.restarted'; job: string; attempt: number; checkpointId: number; cause: unknown }
  | { type: 'job.finished'; job: string; status: 'completed' | 'failed' | 'cancelled'; error?: unknown };

/** What inspection subscribers learn of a dead letter (the full letter goes to the dead-letter sink). */
export interface DeadLetterSummary {
  operator: string;
  subtask: number;
  reason: string;
  code: string;
  /** The failing record (or raw frame), by reference: subscribers that show it truncate and mask it. */
  record?: unknown;
}

/** A subscriber to runtime events. */
export type InspectionListener = (event: InspectionEvent) => void;

/**
 * Fan-out of inspection events to listeners; a throwing listener is isolated from the runtime.
 * @example
 * ```ts
 * const bus = new InspectionBus(); const off = bus.subscribe(e => console.log(e.type))
 * ```
 */
export class InspectionBus {
  private listeners: InspectionListener[] = [];

  /** Adds a listener; returns a function that removes it. */
  subscribe(listener: InspectionListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Delivers one event to every listener. */
  emit(event: InspectionEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A broken subscriber must never take the runtime down with it.
      }
    }
  }

  /** True when someone listens (lets callers skip building events nobody reads). */
  get active(): boolean {
    return this.listeners.length > 0;
  }
}
