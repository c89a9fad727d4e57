/** Something the scheduler can give a turn to. */
export interface Schedulable {
  /** Set by the scheduler while the actor sits in its run queue; nothing else touches it. */
  queued: boolean;
  /** True when a turn would make progress (input to read, or output that can now be sent). */
  ready(): boolean;
  /** Does one bounded piece of work (one batch) and returns. Must never throw. */
  turn(): void;
}

/**
 * Cooperative, fair scheduler: actors that are ready wait in a FIFO run queue; each gets one turn
 * (one batch) and goes to the back of the queue if still ready. A slice of turns runs for at most
 * `sliceMs`, then the scheduler yields to the event loop (setImmediate) so I/O, timers and other
 * jobs get their share: no slice blocks the loop for more than a few milliseconds.
 */
export class Scheduler {
  private readonly queue: Schedulable[] = [];
  private head = 0;
  private pendingSlice = false;
  private readonly sliceMs: number;
  private turns = 0;
  private slices = 0;

  constructor(options: { sliceMs?: number } = {}) {
    this.sliceMs = options.sliceMs ?? 4;
  }

  /** Puts an actor in the run queue if it is ready and not queued already. Cheap to call often. */
  schedule(actor: Schedulable): void {
    if (actor.queued || !actor.ready()) return;
    actor.queued = true;
    this.queue.push(actor);
    if (!this.pendingSlice) {
      this.pendingSlice = true;
      setImmediate(this.runSlice);
    }
  }

  /** Turns and slices run so far (for tests and metrics). */
  stats(): { turns: number; slices: number; queued: number } {
    return { turns: this.turns, slices: this.slices, queued: this.queue.length - this.head };
  }

  private readonly runSlice = (): void => {
    this.pendingSlice = false;
    this.slices++;
    const deadline = performance.now() + this.sliceMs;
    let n = 0;
    while (this.head < this.queue.length) {
      const actor = this.queue[this.head++]!;
      actor.queued = false;
      actor.turn();
      this.turns++;
      if (!actor.queued && actor.ready()) {
        actor.queued = true;
        this.queue.push(actor);
      }
      // Checking the clock every few turns keeps its cost off the per-batch path.
      if ((++n & 7) === 0 && performance.now() >= deadline) break;
    }
    this.compact();
    if (this.head < this.queue.length && !this.pendingSlice) {
      this.pendingSlice = true;
      setImmediate(this.runSlice);
    }
  };

  private compact(): void {
    if (this.head === 0) return;
    this.queue.splice(0, this.head);
    this.head = 0;
  }
}
