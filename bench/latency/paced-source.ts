import type { Source, SourceReader } from '../../src/index.ts';
import { SeededRandom } from '../../src/index.ts';
import { SEED } from '../workloads.ts';
import { wallNow } from '../nats/stamped-trade.ts';

/**
 * What the `latency` scenario feeds every system: the core scenarios' trade plus `sentAt`, the wall
 * time (ms) the record was *meant* to be sent at by the open-loop schedule (0 in max-rate runs).
 */
export interface PacedTrade {
  id: number;
  key: number;
  price: number;
  sentAt: number;
}

/** Record `i` (drawn as the generator source draws it), meant to be sent at `sentAt`. */
export function pacedTrade(i: number, r: SeededRandom, sentAt: number): PacedTrade {
  return { id: i, key: r.int(10_000), price: r.int(10_000), sentAt };
}

/**
 * An open-loop schedule of `count` records at `rate` records/s from `startAt` (wall ms): record i
 * is due at `startAt + i × 1000 / rate` and is stamped with that time, not with when it was
 * actually generated. A system that falls behind (back-pressure, a GC pause, a slow flush) then
 * shows the delay in every record it held up, instead of quietly sending fewer records (what
 * hdr-histogram calls coordinated omission). Without a rate every record is due at once, unstamped.
 */
export class OpenLoopSchedule {
  private readonly random = new SeededRandom(SEED);
  produced = 0;

  constructor(
    readonly count: number,
    readonly rate: number | undefined,
    private readonly startAt: number,
  ) {}

  /** Records due by `now` and not yet produced, at most `max`. */
  due(now: number, max: number): number {
    const left = this.count - this.produced;
    if (this.rate === undefined) return Math.min(max, left);
    const dueTotal = Math.min(this.count, Math.floor(((now - this.startAt) * this.rate) / 1000) + 1);
    return Math.max(0, Math.min(max, dueTotal - this.produced));
  }

  /** Appends the next `n` records to `out`. */
  take(out: PacedTrade[], n: number): void {
    const base = out.length;
    out.length = base + n;
    for (let k = 0; k < n; k++) {
      const i = this.produced + k;
      out[base + k] = pacedTrade(i, this.random.reset(i), this.rate === undefined ? 0 : this.startAt + (i * 1000) / this.rate);
    }
    this.produced += n;
  }

  /** Milliseconds until the next record is due (0 when it is due or the schedule is done). */
  msToNext(now: number): number {
    if (this.rate === undefined || this.produced >= this.count) return 0;
    return Math.max(0, this.startAt + (this.produced * 1000) / this.rate - now);
  }

  done(): boolean {
    return this.produced >= this.count;
  }
}

/**
 * Weir's side of the schedule: a source (parallelism 1) that reads what is due. When nothing is, it
 * waits for the next record's due time (a clock timer, at least 1 ms: Node's timer resolution).
 * `onOpen` tells the process its reader opened here (which node ran the source). With
 * `startSignal` the schedule starts only once it resolves (the receiving process is up), so a
 * slower start of the other node is not counted as latency of the first records.
 */
export function pacedSource(count: number, rate: number | undefined, onOpen?: () => void, startSignal?: Promise<void>): Source<PacedTrade> {
  return {
    name: 'paced-trades',
    createReader(subtask, parallelism): SourceReader<PacedTrade> {
      if (parallelism !== 1 || subtask !== 0) throw new Error('pacedSource runs at parallelism 1');
      let schedule: OpenLoopSchedule | undefined;
      return {
        open() {
          onOpen?.();
          if (!startSignal) schedule = new OpenLoopSchedule(count, rate, wallNow());
          else void startSignal.then(() => (schedule = new OpenLoopSchedule(count, rate, wallNow())));
        },
        read(out, _timestamps, max) {
          const s = schedule;
          if (s === undefined) return 0;
          if (s.done()) return -1;
          const n = s.due(wallNow(), max);
          if (n > 0) s.take(out, n);
          return n;
        },
        whenAvailable() {
          if (schedule === undefined) return startSignal!;
          return new Promise<void>((resolve) => setTimeout(resolve, Math.max(1, Math.ceil(schedule!.msToNext(wallNow())))));
        },
        // The latency runs have no checkpoints or failures: a restore starts the schedule again.
        snapshot: () => schedule?.produced ?? 0,
        restore() {},
        close() {},
      };
    },
  };
}
