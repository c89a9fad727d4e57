import type { TwoPhaseCommitSink, TwoPhaseCommitWriter } from '../../src/index.ts';
import type { Fault, FaultSite } from './schedule.ts';

/** A fault that struck: which, and when (ms since the epoch, comparable across processes). */
export interface Injected {
  fault: Fault;
  at: number;
}

/** The environment variable that carries a node process's in-job faults (JSON of `Fault[]`). */
export const FAULTS_ENV = 'WEIR_CHAOS_FAULTS';

/**
 * Injects a trial's in-job faults: wraps user functions and a two-phase-commit sink, counts
 * calls per site, and at the scheduled call throws, SIGKILLs its own process (mid-firing,
 * mid-checkpoint, mid-commit), or slows or stalls the sink. Each fault strikes once per process
 * (a rolled-back job calls the same wrappers again). Test code, not the hot path: one extra call
 * per record is fine here.
 */
export class FaultInjector {
  readonly injected: Injected[] = [];
  private readonly calls = new Map<string, number>();
  private readonly pending: Fault[];

  constructor(faults: Fault[], node: number, private readonly report: (i: Injected) => void = () => {}) {
    this.pending = faults.filter((f) => 'node' in f && f.node === node);
  }

  /** Counts a call of `site`; returns the faults due at this call (removed from the schedule). */
  private due(site: string): Fault[] {
    const n = (this.calls.get(site) ?? 0) + 1;
    this.calls.set(site, n);
    const hits: Fault[] = [];
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const f = this.pending[i]!;
      const fSite = f.kind === 'slow-sink' || f.kind === 'stall-sink' ? 'write' : 'site' in f ? f.site : undefined;
      const inWindow = f.kind === 'slow-sink' ? n >= f.nth && n < f.nth + f.batches : 'nth' in f && n === f.nth;
      if (fSite === site && inWindow) {
        if (f.kind !== 'slow-sink' || n === f.nth + f.batches - 1) this.pending.splice(i, 1);
        if (f.kind !== 'slow-sink' || n === f.nth) this.strike(f);
        hits.push(f);
      }
    }
    return hits;
  }

  private strike(fault: Fault): void {
    const i = { fault, at: Date.now() };
    this.injected.push(i);
    this.report(i);
  }

  /** Throws or kills at the scheduled call of `site`; returns whether a kill waits for the inner step. */
  private sync(site: FaultSite): Fault | undefined {
    for (const f of this.due(site)) {
      if (f.kind === 'throw') throw new Error(`chaos: injected exception in ${site} (call ${f.nth})`);
      if (f.kind === 'kill-self') {
        if (!f.afterInner) process.kill(process.pid, 'SIGKILL');
        return f;
      }
    }
    return undefined;
  }

  /** `fn` with the faults of `site` (`map`, `key-selector`, `aggregate`, `window-function`, `join-function`). */
  wrap<A extends unknown[], R>(site: FaultSite, fn: (...args: A) => R): (...args: A) => R {
    return (...args: A) => {
      const kill = this.sync(site);
      const r = fn(...args);
      if (kill) process.kill(process.pid, 'SIGKILL');
      return r;
    };
  }

  /** The sink with faults in its writes (slow, stalled), pre-commits and commits (exceptions, kills). */
  sink<T, Txn>(inner: TwoPhaseCommitSink<T, Txn>): TwoPhaseCommitSink<T, Txn> {
    return {
      name: inner.name,
      twoPhase: true,
      createWriter: (subtask, parallelism): TwoPhaseCommitWriter<T, Txn> => {
        const w = inner.createWriter(subtask, parallelism);
        return {
          open: (ctx) => w.open(ctx),
          beginTransaction: (epoch) => w.beginTransaction(epoch),
          write: (txn, values, ts) => {
            let delay = 0;
            for (const f of this.due('write')) delay += f.kind === 'slow-sink' ? f.delayMs : f.kind === 'stall-sink' ? f.stallMs : 0;
            if (delay === 0) return w.write(txn, values, ts);
            return new Promise<void>((resolve) => setTimeout(resolve, delay)).then(() => w.write(txn, values, ts));
          },
          preCommit: async (txn) => {
            const kill = this.sync('pre-commit');
            const handle = await w.preCommit(txn);
            if (kill) process.kill(process.pid, 'SIGKILL');
            return handle;
          },
          commit: async (handle) => {
            const kill = this.sync('commit');
            await w.commit(handle);
            if (kill) process.kill(process.pid, 'SIGKILL');
          },
          abort: (txn) => w.abort(txn),
          recover: (committable) => w.recover(committable),
          close: () => w.close(),
        };
      },
    };
  }
}
