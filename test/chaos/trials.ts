import { drawSchedule, type TrialPlan } from './schedule.ts';
import type { TrialResult } from './trial.ts';
import { keyedWindows } from './scenarios/keyed-windows.ts';
import { windowJoin } from './scenarios/join.ts';
import { keyedState } from './scenarios/keyed-state.ts';
import { runDistributed } from './scenarios/distributed.ts';
import { fileScenario } from './scenarios/file-sink.ts';
import { postgresScenario } from './scenarios/postgres.ts';
import { jetstreamScenario } from './scenarios/jetstream.ts';

/** Runs one trial: its scenario with its fault schedule, both drawn from the seed. */
export function runTrial(seed: number): Promise<TrialResult> {
  return runPlan(drawSchedule(seed));
}

/** Runs a trial plan (a replay runs the plan its seed draws). */
export function runPlan(plan: TrialPlan): Promise<TrialResult> {
  switch (plan.scenario) {
    case 'keyed-windows':
      return keyedWindows(plan);
    case 'join':
      return windowJoin(plan);
    case 'keyed-state':
      return keyedState(plan);
    case 'file-2pc':
      return runDistributed(plan, fileScenario);
    case 'postgres':
      return runDistributed(plan, postgresScenario);
    case 'jetstream':
      return runDistributed(plan, jetstreamScenario);
  }
}
