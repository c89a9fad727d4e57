import { StreamEnvironment, CountSink, InspectionBus, WatermarkStrategy, TumblingEventTimeWindows } from '../../src/index.ts';
import type { Scenario, SystemRun } from '../scenario.ts';
import { SEED } from '../workloads.ts';
import { monitorEventLoopDelay } from 'node:perf_hooks';

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

/**
 * Checkpoints of 1M keys of keyed state, taken once the state is built while records still flow:
 * a savepoint first (packed whole and at once at the barrier: the baseline), then three
 * checkpoints (packed by key group in ~1 ms slices after the barrier). Every key keeps changing,
 * so each checkpoint holds all 1M keys. `stallMs` is the longest the event loop was held during
 * each (perf_hooks.monitorEventLoopDelay): how long records waited.
 */
const millionKeys: SystemRun = async (n) => {
  const keys = 1_000_000;
  const inspection = new InspectionBus();
  const done = new Map<number, { durationMs: number; bytes: number }>();
  inspection.subscribe((e) => {
    if (e.type === 'checkpoint.completed') done.set(e.checkpointId, { durationMs: e.durationMs, bytes: e.bytes });
  });
  const env = StreamEnvironment.create({ inspection, checkpointing: { intervalMs: 2 ** 31 - 1 } });
  const sink = new CountSink();
  // Input enough for every checkpoint even on a busy machine; the job is cancelled after the last.
  const total = Math.max(n, keys * 12);
  // The warm-up run (fewer events asked) takes one checkpoint; the measured run three.
  const rounds = n >= keys ? 3 : 1;
  env
    .fromGenerator((i) => ({ key: i % keys, count: 1 }), { count: total, seed: SEED, ratePerSecond: 1_500_000 })
    .keyBy((c) => c.key)
    .reduce((a, b) => ({ key: a.key, count: a.count + b.count }))
    .sinkTo(sink);
  const job = env.executeAsync('checkpoint-1m-keys');
  const until = async (count: number) => {
    while (sink.count < count) await new Promise((r) => setTimeout(r, 5));
  };
  await until(keys + 50_000);
  const stall = monitorEventLoopDelay({ resolution: 1 });
  const measure = async (take: () => Promise<{ id: number }>) => {
    stall.reset();
    stall.enable();
    const { id } = await take();
    // A stall that ends as the checkpoint completes is recorded by the histogram's next timer tick.
    await new Promise((r) => setTimeout(r, 5));
    stall.disable();
    return { ...done.get(id)!, stallMs: Math.round(stall.max / 1e6) };
  };
  const savepoint = await measure(() => job.savepoint());
  const checkpoints = [];
  for (let c = 0; c < rounds; c++) {
    await until(sink.count + 100_000);
    checkpoints.push(await measure(() => job.checkpoint()));
  }
  await job.cancel();
  const sorted = checkpoints.map((c) => c.durationMs).sort((a, b) => a - b);
  return {
    handled: sink.count,
    extra: {
      keys,
      checkpoints: checkpoints.length,
      checkpointMs: sorted[sorted.length >> 1]!,
      checkpointMsAll: checkpoints.map((c) => c.durationMs).join(' '),
      checkpointBytes: checkpoints[checkpoints.length - 1]!.bytes,
      checkpointStallMs: checkpoints.map((c) => c.stallMs).join(' '),
      savepointMs: savepoint.durationMs,
      savepointBytes: savepoint.bytes,
      savepointStallMs: savepoint.stallMs,
      checkpointVsSavepoint: Number((sorted[sorted.length >> 1]! / savepoint.durationMs).toFixed(3)),
    },
  };
};

export const checkpointing: Scenario = {
  name: 'checkpointing',
  events: 20_000_000,
  quickEvents: 3_000_000,
  note: 'weir-1s / weir-none: cost of aligned checkpoints every second on tumbling-count; weir-1m-keys: checkpoints of 1M keys, packed by key group after the barrier (extra.checkpointMs: median of 3, extra.checkpointStallMs: longest event-loop stall of each), against a savepoint packed whole at the barrier in the same run (extra.savepointMs, savepointStallMs)',
  systems: {
    'weir-none': tumblingCountJob(undefined),
    'weir-1s': tumblingCountJob(1000),
    'weir-1m-keys': millionKeys,
  },
};
