/**
 * Runs the monitoring job embedded — the log replayed on a simulated clock, so processing time
 * follows the log and the silence timers fire as they would live — or on NATS (the log in a
 * JetStream stream → the job → a JetStream stream per output, read back).
 */
import { CollectSink, SimulatedClock, StreamEnvironment, type JobResult } from '../../src/index.ts';
import { replayOnSimulatedClock } from '../shared/simulated-replay.ts';
import { onJetStream } from '../shared/jetstream-mode.ts';
import { metricsLog, type LogShape, type Metric } from './metrics.ts';
import { monitoringJob, type Alert, type HostStats } from './monitoring-job.ts';
import { pacedSource } from './paced-source.ts';

/** Options of {@link runMonitoring}. */
export interface MonitoringRun extends LogShape {
  parallelism?: number;
  crashAtWindowEnd?: number;
  /** Run against JetStream streams on this NATS server instead of in memory. */
  nats?: string;
}

/** How far the simulated clock moves per step of the replay. */
const STEP_MS = 1_000;

/** Runs the job; resolves with its outputs and the job's result. */
export async function runMonitoring(run: MonitoringRun): Promise<{ stats: HostStats[]; alerts: Alert[]; job: JobResult }> {
  const log = metricsLog(run);
  const options = { crashAtWindowEnd: run.crashAtWindowEnd };
  if (!run.nats) {
    const clock = new SimulatedClock(0);
    const env = StreamEnvironment.create({ parallelism: run.parallelism ?? 2, clock, supervision: { backoff: { initialMs: 1, maxMs: 1 } } });
    const out = monitoringJob(env.fromSource(pacedSource(log, { time: (m) => m.at }), 'metrics').setParallelism(1), options);
    const stats = new CollectSink<HostStats>();
    const alerts = new CollectSink<Alert>();
    out.stats.sinkTo(stats);
    out.alerts.sinkTo(alerts);
    const handle = env.executeAsync('monitoring');
    const job = await replayOnSimulatedClock(handle, clock, { stepMs: STEP_MS, source: 'metrics', consumer: 'silence' });
    return { job, stats: stats.values, alerts: alerts.values };
  }
  return onJetStream<Metric, { stats: HostStats[]; alerts: Alert[]; job: JobResult }>(run.nats, { prefix: 'MONITORING', records: log }, async (io) => {
    const env = StreamEnvironment.create({ parallelism: run.parallelism ?? 2, checkpointing: { intervalMs: 200 } });
    const out = monitoringJob(env.fromSource(io.source((m) => m.at), 'metrics'), options);
    io.sink(out.stats, 'stats');
    io.sink(out.alerts, 'alerts');
    const job = await env.execute('monitoring');
    return { job, stats: await io.read<HostStats>('stats'), alerts: await io.read<Alert>('alerts') };
  });
}
