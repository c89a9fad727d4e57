/**
 * Runs the recommendation job embedded (generator → collect sink) or on NATS (the generated
 * interactions in a JetStream stream → the job → a JetStream stream, read back).
 */
import { CollectSink, SimulatedClock, StreamEnvironment, type EnvironmentOptions, type JobResult, type Sink, type TwoPhaseCommitSink } from '../../src/index.ts';
import { onJetStream } from '../shared/jetstream-mode.ts';
import { generated } from '../shared/generated.ts';
import { INTERACTION_EVERY_MS, interactionAt, type Interaction } from './interactions.ts';
import { replayOnSimulatedClock } from '../shared/simulated-replay.ts';
import { recommendationJob, type Recommendation } from './recommendation-job.ts';

/** Options of {@link runRecommendation}. */
export interface RecommendationRun {
  interactions: number;
  seed: number;
  parallelism?: number;
  crashAtSeq?: number;
  /** Run against JetStream streams on this NATS server instead of in memory. */
  nats?: string;
  /** TTL of recent items (processing time). */
  recentTtlMs?: number;
  /**
   * Embedded: replay the log on a simulated clock moved `stepMs` at a time (a multiple of the
   * log's 100 ms), so processing time — and so the TTL — follows the log: interaction `i` is
   * handled at ⌈(i + 1) × 100 / stepMs⌉ × stepMs, up to one shift of the whole replay by whole steps.
   */
  simulatedClock?: { stepMs: number };
}

/**
 * The job on the seeded generator, writing to `sink` (embedded runs; the savepoint test builds
 * its runs with this too).
 */
export function buildEmbedded(env: StreamEnvironment, run: RecommendationRun & { ratePerSecond?: number }, sink: Sink<Recommendation> | TwoPhaseCommitSink<Recommendation, any>): void {
  const source = env.fromGenerator(interactionAt, { count: run.interactions, seed: run.seed, ratePerSecond: run.ratePerSecond, name: 'interactions' }).setParallelism(1).uid('interactions');
  recommendationJob(source, { crashAtSeq: run.crashAtSeq, recentTtlMs: run.recentTtlMs }).sinkTo(sink).uid('recommendations');
}

/** Runs the job; resolves with its recommendations and the job's result. */
export async function runRecommendation(run: RecommendationRun, env: EnvironmentOptions = {}): Promise<{ recommendations: Recommendation[]; job: JobResult }> {
  if (!run.nats && run.simulatedClock) {
    const clock = new SimulatedClock(0);
    const e = StreamEnvironment.create({ parallelism: run.parallelism ?? 2, clock, supervision: { backoff: { initialMs: 1, maxMs: 1 } }, ...env });
    const sink = new CollectSink<Recommendation>();
    buildEmbedded(e, { ...run, ratePerSecond: 1_000 / INTERACTION_EVERY_MS }, sink);
    const job = await replayOnSimulatedClock(e.executeAsync('recommendation'), clock, { stepMs: run.simulatedClock.stepMs, source: 'interactions', consumer: 'user-history' });
    return { job, recommendations: sink.values };
  }
  if (!run.nats) {
    const e = StreamEnvironment.create({ parallelism: run.parallelism ?? 2, ...env });
    const sink = new CollectSink<Recommendation>();
    buildEmbedded(e, run, sink);
    const job = await e.execute('recommendation');
    return { job, recommendations: sink.values };
  }
  return onJetStream<Interaction, { recommendations: Recommendation[]; job: JobResult }>(run.nats, { prefix: 'RECOMMEND', records: generated(interactionAt, run.interactions, run.seed) }, async (io) => {
    const e = StreamEnvironment.create({ parallelism: run.parallelism ?? 2, checkpointing: { intervalMs: 200 }, ...env });
    io.sink(recommendationJob(e.fromSource(io.source((i) => i.at), 'interactions'), { crashAtSeq: run.crashAtSeq }), 'recommendations');
    const job = await e.execute('recommendation');
    return { job, recommendations: await io.read<Recommendation>('recommendations') };
  });
}
