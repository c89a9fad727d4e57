import type { Schedulable, Scheduler } from './scheduler.ts';

/**
 * Time the work may take per millisecond spent outside it: 2 leaves a busy job a third of its
 * speed meanwhile (at 1, half: a 1M-key checkpoint took ~2x its ~100 ms of work; at 2, ~1.5x).
 */
const SHARE = 2;

/**
 * Background work (an asynchronous checkpoint's packing) run as turns of the actors' scheduler:
 * the work is a generator that yields between bounded steps. In the run queue it takes its turn
 * between the actors' batches, so records wait for one turn of it at most, and the work is not
 * left waiting for whole slices of them (yielding to the event loop per step made a 1M-key
 * checkpoint wait ~10 ms per step, several times its own work). It takes at most `SHARE` times the time
 * that passed outside it since it started (the actors' turns, or nothing to do): a busy job
 * goes on at a third of its speed or better meanwhile, an idle one lends it all its time.
 */
class SteppedTask implements Schedulable {
  queued = false;
  private finished = false;
  /** Time it may still take: what passed outside it, less what it took (the first turn runs at once). */
  private credit: number;
  private lastEnd = performance.now();
  readonly done: Promise<void>;
  private resolve!: () => void;
  private reject!: (error: unknown) => void;

  constructor(
    private readonly steps: Iterator<unknown>,
    private readonly budgetMs: () => number,
  ) {
    this.credit = budgetMs();
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  ready(): boolean {
    return !this.finished;
  }

  turn(): void {
    if (this.finished) return;
    const started = performance.now();
    // Time spent outside since the last turn is credit; this turn spends at most the credit, and never more than one budget.
    this.credit += (started - this.lastEnd) * SHARE;
    if (this.credit <= 0) {
      this.lastEnd = started;
      return;
    }
    const budget = Math.min(this.credit, this.budgetMs());
    try {
      do {
        if (this.steps.next().done === true) {
          this.finished = true;
          this.resolve();
          return;
        }
      } while (performance.now() - started < budget);
    } catch (error) {
      // A turn never throws (the scheduler's contract): the failure goes to whoever awaits the work.
      this.finished = true;
      this.reject(error);
    } finally {
      this.lastEnd = performance.now();
      this.credit -= this.lastEnd - started;
    }
  }
}

/**
 * Runs `steps` (a generator yielding between steps) in turns of `scheduler`, each about
 * `budgetMs()` long; resolves when it returns, rejects with what it throws.
 */
export function runInTurns(scheduler: Scheduler, steps: Iterator<unknown>, budgetMs: () => number): Promise<void> {
  const task = new SteppedTask(steps, budgetMs);
  scheduler.schedule(task);
  return task.done;
}
