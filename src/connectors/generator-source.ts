import type { Clock } from '../time/clock.ts';
import type { Source, SourceReader } from './source.ts';
import { SeededRandom } from './seeded-random.ts';
import { InvalidJobError } from '../errors.ts';

/** Options of {@link generatorSource}. */
export interface GeneratorOptions {
  /** Records in total (across all subtasks); Infinity for an unbounded stream. */
  count: number;
  /** Seed of the per-record random generator handed to the function. */
  seed?: number;
  /** Records per second per subtask; unlimited when absent. */
  ratePerSecond?: number;
  /**
   * Gives records event timestamps: record i is at `startMs + i × perRecordMs`, then moved up to
   * `outOfOrderMs` earlier (seeded per record, so out of order but never later than a
   * bounded-out-of-orderness watermark of that many ms allows), and subtask s runs `s × skewMs`
   * behind (skewed partitions, so watermarks of parallel inputs differ).
   */
  eventTime?: { startMs?: number; perRecordMs: number; outOfOrderMs?: number; skewMs?: number };
  name?: string;
}

/**
 * A seeded generator source: record `i` is `fn(i, random)` where `random` was reset for (seed, i),
 * so every record is reproducible after a restart. Subtask s produces indices s, s+p, s+2p…
 * @example
 * ```ts
 * env.fromSource(generatorSource((i, r) => ({ user: r.int(100), at: i }), { count: 1_000_000, seed: 7 }))
 * ```
 */
export function generatorSource<T>(fn: (index: number, random: SeededRandom) => T, options: GeneratorOptions): Source<T> {
  if (!(options.count >= 0)) throw new InvalidJobError(`generator source: count must be >= 0, got ${options.count}`);
  const time = options.eventTime;
  if (time && !(time.perRecordMs >= 0)) throw new InvalidJobError(`generator source: eventTime.perRecordMs must be >= 0, got ${time.perRecordMs}`);
  return {
    name: options.name ?? 'generator',
    hasTimestamps: time !== undefined,
    // Batches of the runtime's batch size from the restored position; a rate cuts them by the clock.
    replaysSameBatches: options.ratePerSecond === undefined,
    createReader(subtask, parallelism): SourceReader<T> {
      const random = new SeededRandom(options.seed ?? 1);
      // Disorder draws come from their own generator so they never change what `fn` draws.
      const disorder = new SeededRandom((options.seed ?? 1) ^ 0x5bd1e995);
      const start = (time?.startMs ?? 0) - subtask * (time?.skewMs ?? 0);
      let produced = 0; // records of this subtask so far
      const total = Math.max(0, Math.ceil((options.count - subtask) / parallelism));
      let clock: Clock | undefined;
      let startedAt = 0;
      let producedAtStart = 0;
      return {
        open(ctx) {
          clock = ctx.clock;
          startedAt = clock.now();
        },
        read(out, _timestamps, max) {
          if (produced >= total) return -1;
          let n = Math.min(max, total - produced);
          if (options.ratePerSecond !== undefined && clock) {
            const allowed = producedAtStart + Math.floor(((clock.now() - startedAt) * options.ratePerSecond) / 1000) - produced;
            n = Math.min(n, Math.max(0, allowed));
            if (n === 0) return 0;
          }
          // Written by index into the array sized up front: growing it by push costs more than generating.
          const base = out.length;
          out.length = base + n;
          let k = 0;
          try {
            for (; k < n; k++) {
              const index = subtask + (produced + k) * parallelism;
              out[base + k] = fn(index, random.reset(index));
            }
          } finally {
            if (k < n) out.length = base + k;
          }
          if (time && _timestamps) {
            const late = time.outOfOrderMs ?? 0;
            const tBase = _timestamps.length;
            _timestamps.length = tBase + n;
            for (let k = 0; k < n; k++) {
              const index = subtask + (produced + k) * parallelism;
              _timestamps[tBase + k] = start + index * time.perRecordMs - (late > 0 ? disorder.reset(index).int(late + 1) : 0);
            }
          }
          produced += n;
          return n;
        },
        whenAvailable() {
          const c = clock!;
          // Until the next record is due, not a whole record interval from now: at a low rate a
          // read that returned 0 just before a record fell due would otherwise hold it back by up
          // to an interval (a 50/s stream's records waited 8 ms on average, up to 40 ms).
          const rate = options.ratePerSecond ?? 1000;
          const dueAt = startedAt + ((produced - producedAtStart + 1) * 1000) / rate;
          const waitMs = Math.max(1, Math.ceil(dueAt - c.now()));
          return new Promise<void>((resolve) => c.setTimeout(resolve, waitMs));
        },
        snapshot: () => produced,
        restore(position) {
          produced = typeof position === 'number' ? position : 0;
          if (clock) {
            startedAt = clock.now();
            producedAtStart = produced;
          }
        },
        close() {},
      };
    },
  };
}
