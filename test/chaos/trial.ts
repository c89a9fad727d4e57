import type { Difference } from './multiset.ts';
import type { Injected } from './fault-injector.ts';
import type { TrialPlan } from './schedule.ts';

/** What one trial found. */
export interface TrialResult {
  plan: TrialPlan;
  /** Faults that struck (a scheduled fault whose moment never came, e.g. the job ended first, is not here). */
  injected: Injected[];
  difference: Difference;
  /** Rows compared (the reference's size). */
  rows: number;
  /** Per fault that broke something: ms from it to the first checkpoint completed after the job restarted. */
  recoveryMs: number[];
  wallMs: number;
  /** Why the trial failed besides a difference (the job failed, hung, a survivor exited non-zero), with logs. */
  error?: string;
  /** The node processes' output, when the rows differ. */
  logs?: string;
}

/** True when the trial passed: the job finished and nothing was lost, duplicated or unexpected. */
export const passed = (r: TrialResult): boolean => !r.error && r.difference.lost === 0 && r.difference.duplicated === 0 && r.difference.unexpected === 0;

/** A timeline of one run, as the harness saw it: fault strikes, restarts, completed checkpoints (ms since the epoch). */
export interface Timeline {
  faults: number[];
  restarts: number[];
  checkpoints: number[];
  end: number;
}

/**
 * Time to recovery of each fault that needed one: from the fault to the first checkpoint that
 * completed after the first restart following it (the job is consistent again), or to the job's end
 * when it finished before another checkpoint. Faults that caused no restart (absorbed by replay,
 * or a slow sink) have none.
 */
export function recoveryTimes(t: Timeline): number[] {
  const out: number[] = [];
  for (const f of t.faults) {
    const restart = t.restarts.find((r) => r >= f);
    if (restart === undefined) continue;
    const next = t.checkpoints.find((c) => c > restart) ?? t.end;
    out.push(Math.max(0, next - f));
  }
  return out;
}
