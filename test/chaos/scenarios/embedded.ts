import { InspectionBus, StreamEnvironment, TransactionalCollectSink } from '../../../src/index.ts';
import { FaultInjector } from '../fault-injector.ts';
import { compareMultisets } from '../multiset.ts';
import { recoveryTimes, type Timeline, type TrialResult } from '../trial.ts';
import type { TrialPlan } from '../schedule.ts';

/** What an embedded scenario builds on the environment: its sink's rows as text and the reference's. */
export interface EmbeddedJob<T> {
  build(env: StreamEnvironment, faults: FaultInjector, sink: ReturnType<FaultInjector['sink']>): void;
  row(value: T): string;
  reference(): string[];
}

/**
 * Runs an in-process scenario: the job in this process with checkpoints every 20 ms into memory
 * and a transactional (two-phase-commit) collect sink, its faults injected by a
 * {@link FaultInjector}; an exception restarts only the failed actor (`recovery: 'actor'`) or
 * rolls the job back to its last checkpoint (`'job'`). The committed output is compared with the
 * reference as multisets.
 */
export async function runEmbedded<T>(plan: TrialPlan, job: EmbeddedJob<T>): Promise<TrialResult> {
  const started = Date.now();
  const timeline: Timeline = { faults: [], restarts: [], checkpoints: [], end: 0 };
  const inspection = new InspectionBus();
  inspection.subscribe((e) => {
    if (e.type === 'checkpoint.completed') timeline.checkpoints.push(Date.now());
    if (e.type === 'actor.restarted' || e.type === 'job.restarted') timeline.restarts.push(Date.now());
  });
  const faults = new FaultInjector(plan.faults, 0, (i) => {
    if (i.fault.kind === 'throw') timeline.faults.push(i.at);
  });
  const collected = new TransactionalCollectSink<T>('chaos-collect');
  const env = StreamEnvironment.create({
    parallelism: 2,
    inspection,
    checkpointing: { intervalMs: 20 },
    supervision: plan.recovery === 'actor' ? { maxRestarts: 20, withinMs: 60_000, backoff: { initialMs: 1, maxMs: 5 } } : { maxRestarts: 0 },
    restartStrategy: { kind: 'fixed-delay', attempts: 20, delayMs: 5 },
  });
  job.build(env, faults, faults.sink(collected));
  let error: string | undefined;
  try {
    await env.execute(`chaos-${plan.scenario}`);
  } catch (e) {
    error = `the job failed: ${(e as Error).stack ?? e}${(e as { cause?: Error }).cause ? `\ncaused by ${(e as { cause: Error }).cause.stack}` : ''}`;
  }
  timeline.end = Date.now();
  const expected = job.reference();
  return {
    plan,
    injected: faults.injected,
    difference: compareMultisets(collected.committed.map((v) => job.row(v)), expected),
    rows: expected.length,
    recoveryMs: recoveryTimes(timeline),
    wallMs: Date.now() - started,
    error,
  };
}
