/**
 * Runs the traffic job embedded (generator → collect sinks) or on NATS (the generated clicks in a
 * JetStream stream → the job → a JetStream stream per result kind, read back).
 */
import { CollectSink, StreamEnvironment, type JobResult } from '../../src/index.ts';
import { onJetStream } from '../shared/jetstream-mode.ts';
import { generated } from '../shared/generated.ts';
import { clickAt, type Click } from './clicks.ts';
import { trafficJob } from './traffic-job.ts';
import type { TrafficResults } from './reference.ts';

/** Options of {@link runTraffic}. */
export interface TrafficRun {
  clicks: number;
  seed: number;
  parallelism?: number;
  crashAtSeq?: number;
  /** Run against JetStream streams on this NATS server instead of in memory. */
  nats?: string;
}

/** Runs the job; resolves with its outputs and the job's result. */
export async function runTraffic(run: TrafficRun): Promise<{ results: TrafficResults; job: JobResult }> {
  const options = { crashAtSeq: run.crashAtSeq };
  if (!run.nats) {
    const env = StreamEnvironment.create({ parallelism: run.parallelism ?? 2 });
    const out = trafficJob(env.fromGenerator(clickAt, { count: run.clicks, seed: run.seed, name: 'clicks' }).setParallelism(1), options);
    const sinks = { sessions: new CollectSink<TrafficResults['sessions'][number]>(), funnels: new CollectSink<TrafficResults['funnels'][number]>(), topPages: new CollectSink<TrafficResults['topPages'][number]>(), bots: new CollectSink<TrafficResults['bots'][number]>() };
    out.sessions.sinkTo(sinks.sessions);
    out.funnels.sinkTo(sinks.funnels);
    out.topPages.sinkTo(sinks.topPages);
    out.bots.sinkTo(sinks.bots);
    const job = await env.execute('traffic');
    return { job, results: { sessions: sinks.sessions.values, funnels: sinks.funnels.values, topPages: sinks.topPages.values, bots: sinks.bots.values } };
  }
  return onJetStream<Click, { results: TrafficResults; job: JobResult }>(run.nats, { prefix: 'TRAFFIC', records: generated(clickAt, run.clicks, run.seed) }, async (io) => {
    // JetStream sinks commit with checkpoints (two-phase), so the job checkpoints.
    const env = StreamEnvironment.create({ parallelism: run.parallelism ?? 2, checkpointing: { intervalMs: 200 } });
    const out = trafficJob(env.fromSource(io.source((c) => c.at), 'clicks'), options);
    io.sink(out.sessions, 'sessions');
    io.sink(out.funnels, 'funnels');
    io.sink(out.topPages, 'top-pages');
    io.sink(out.bots, 'bots');
    const job = await env.execute('traffic');
    const results = { sessions: await io.read<TrafficResults['sessions'][number]>('sessions'), funnels: await io.read<TrafficResults['funnels'][number]>('funnels'), topPages: await io.read<TrafficResults['topPages'][number]>('top-pages'), bots: await io.read<TrafficResults['bots'][number]>('bots') };
    return { job, results };
  });
}
