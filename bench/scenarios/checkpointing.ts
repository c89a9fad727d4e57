import { StreamEnvironment, CountSink, InspectionBus, WatermarkStrategy, TumblingEventTimeWindows } from '../../src/index.ts';
import type { Scenario, SystemRun } from '../scenario.ts';
import { SEED } from '../workloads.ts';

interface Ev { key: number; at: number }

/** The tumbling-count job (10 s windows, 10k keys) with aligned checkpoints every `checkpointEveryMs`, or none. */
function tumblingCountJob(checkpointEveryMs: number | undefined): SystemRun {
  return async (n) => {
    const inspection = new InspectionBus();
    const durations: number[] = [];
    inspection.subscribe((e) => {
      if (e.type === 'checkpoint.completed') durations.push(e.durationMs);
    });
    const env = StreamEnvironment.create({ inspection, checkpointing: checkpointEveryMs ? { intervalMs: checkpointEveryMs } : undefined });
    const sink = new CountSink();
    env
      .fromGenerator((i, r): Ev => ({ key: r.int(10_000), at: Math.floor(i / 10) }), { count: n, seed: SEED })
      .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.at))
      .keyBy((e) => e.key)
      .window(TumblingEventTimeWindows.of(10_000))
      .aggregate({ createAccumulator: () => 0, add: (_e, c) => c + 1, getResult: (c) => c, merge: (a, b) => a + b })
      .sinkTo(sink);
    await env.execute('checkpointing');
    if (checkpointEveryMs && n >= 10_000_000 && durations.length === 0) throw new Error('no checkpoint completed during the run');
    const mean = durations.length ? durations.reduce((a, b) => a + b, 0) / durations.length : 0;
    return { handled: n, extra: { checkpoints: durations.length, meanCheckpointMs: Math.round(mean) } };
  };
}

/** A checkpoint of 1M keys of keyed state: its duration and size (taken once the state is built, while records still flow). */
const millionKeys: SystemRun = async (n) => {
  const keys = 1_000_000;
  const inspection = new InspectionBus();
  let done: { durationMs: number; bytes: number } | undefined;
  inspection.subscribe((e) => {
    if (e.type === 'checkpoint.completed') done = { durationMs: e.durationMs, bytes: e.bytes };
  });
  const env = StreamEnvironment.create({ inspection, checkpointing: { intervalMs: 2 ** 31 - 1 } });
  const sink = new CountSink();
  const total = Math.max(n, keys * 2);
  env
    .fromGenerator((i) => ({ key: i % keys, count: 1 }), { count: total, seed: SEED, ratePerSecond: 1_500_000 })
    .keyBy((c) => c.key)
    .reduce((a, b) => ({ key: a.key, count: a.count + b.count }))
    .sinkTo(sink);
  const job = env.executeAsync('checkpoint-1m-keys');
  while (sink.count < keys + 50_000) await new Promise((r) => setTimeout(r, 20));
  await job.checkpoint();
  await job.done;
  if (!done) throw new Error('the checkpoint did not complete');
  return { handled: total, extra: { keys, checkpointMs: done.durationMs, checkpointBytes: done.bytes } };
};

export const checkpointing: Scenario = {
  name: 'checkpointing',
  events: 20_000_000,
  quickEvents: 3_000_000,
  note: 'weir-1s / weir-none: cost of aligned checkpoints every second on tumbling-count; weir-1m-keys: one checkpoint of 1M keys (extra.checkpointMs, extra.checkpointBytes)',
  systems: {
    'weir-none': tumblingCountJob(undefined),
    'weir-1s': tumblingCountJob(1000),
    'weir-1m-keys': millionKeys,
  },
};
