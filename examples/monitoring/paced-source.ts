/**
 * A source that replays a recorded log at the pace of the job's clock: a record goes out once
 * the clock has advanced past its time (scaled by `speed`) since the source started. With a
 * `SimulatedClock` the replay is as fast as the job keeps up, and processing time follows the
 * log exactly; with the system clock it is a real-time (or `speed`× faster) replay.
 */
import type { Source, SourceReader } from '../../src/index.ts';

/** Options of {@link pacedSource}. */
export interface PacedOptions<T> {
  /** The record's time in the log (ms, ascending). */
  time: (record: T) => number;
  /** Log milliseconds per clock millisecond (default 1). */
  speed?: number;
  name?: string;
}

/**
 * Replays `records` (one split: run it at parallelism 1).
 * @example
 * ```ts
 * env.fromSource(pacedSource(log, { time: (m) => m.at })).setParallelism(1)
 * ```
 */
export function pacedSource<T>(records: readonly T[], options: PacedOptions<T>): Source<T> {
  const speed = options.speed ?? 1;
  const first = records.length ? options.time(records[0]!) : 0;
  // Kept by the source, not the reader: a restarted reader keeps the replay's pace.
  let startedAt: number | undefined;
  return {
    name: options.name ?? 'paced-log',
    createReader(): SourceReader<T> {
      let pos = 0;
      let clock!: { now(): number; setTimeout(fn: () => void, ms: number): unknown };
      const elapsed = () => (clock.now() - startedAt!) * speed;
      return {
        open(ctx) {
          clock = ctx.clock;
          startedAt ??= clock.now();
        },
        read(out, _timestamps, max) {
          if (pos >= records.length) return -1;
          const due = elapsed();
          let n = 0;
          while (n < max && pos < records.length && options.time(records[pos]!) - first <= due) {
            out.push(records[pos++]!);
            n++;
          }
          return n;
        },
        whenAvailable() {
          const wait = pos < records.length ? (options.time(records[pos]!) - first - elapsed()) / speed : 0;
          return new Promise<void>((resolve) => clock.setTimeout(resolve, Math.max(1, Math.ceil(wait))));
        },
        snapshot: () => pos,
        restore(position) {
          pos = typeof position === 'number' ? position : 0;
        },
        close() {},
      };
    },
  };
}
