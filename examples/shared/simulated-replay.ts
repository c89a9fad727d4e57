/**
 * Drives a job on a `SimulatedClock` as a replay of a log: the clock moves one step at a time,
 * each once the operator whose processing time matters has taken every record the source let out
 * so far (or a failed actor waits for its restart backoff, which only the next step brings).
 * Processing time at that operator then follows the log, step for step, however loaded the
 * machine is.
 */
import type { JobHandle, JobResult, SimulatedClock } from '../../src/index.ts';

/** Which actors to watch: the source's (by name) and the consumer's (by operator name). */
export interface ReplayOptions {
  stepMs: number;
  source: string;
  consumer: string;
}

/**
 * Runs `job` to its end, moving `clock` by `stepMs` whenever `consumer` has caught up with `source`.
 * @example
 * ```ts
 * const result = await replayOnSimulatedClock(env.executeAsync('monitoring'), clock, { stepMs: 1_000, source: 'metrics', consumer: 'silence' })
 * ```
 */
export async function replayOnSimulatedClock(job: JobHandle, clock: SimulatedClock, options: ReplayOptions): Promise<JobResult> {
  let finished = false;
  const done = job.done.finally(() => (finished = true));
  const caughtUp = () => {
    const actors = job.metrics().actors;
    const named = (name: string) => actors.filter((a) => a.operator.split(' -> ')[0] === name);
    if (named(options.source).length === 0 || named(options.consumer).length === 0) throw new Error(`replay: the job has no actor '${named(options.source).length ? options.consumer : options.source}' (actors: ${actors.map((a) => a.operator).join(', ')})`);
    // A failed actor waits for its backoff timer: only the clock brings its restart (restoring needs no clock).
    if (actors.some((a) => a.state === 'failed')) return true;
    const emitted = named(options.source).reduce((n, a) => n + a.recordsIn, 0);
    const taken = named(options.consumer).reduce((n, a) => n + a.recordsIn, 0);
    return taken >= emitted;
  };
  while (!finished) {
    clock.advance(options.stepMs);
    // The advance wakes the source through a promise and then the scheduler's setImmediate: counted at once, the
    // metrics are those of before the step (caught up), and the clock would move on before the step's records left.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    while (!finished && !caughtUp()) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  }
  return done;
}
