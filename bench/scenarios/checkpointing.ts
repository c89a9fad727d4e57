import { StreamEnvironment, CountSink, InspectionBus, type JobHandle, WatermarkStrategy, TumblingEventTimeWindows } from '../../src/index.ts';
import type { Scenario, SystemRun } from '../scenario.ts';
import { SEED } from '../workloads.ts';
import { digestResult, digestSink, mix } from '../result-digest.ts';
import { monitorEventLoopDelay } from 'node:perf_hooks';

interface Ev { key: number; at: number }

const hashCount = (c: number) => mix(0, c);

/** Checkpoints that must complete inside the measured run. */
const MIN_CHECKPOINTS = 3;

/**
 * The tumbling-count job (10 s windows, 10k keys), with `checkpoints` aligned checkpoints spread
 * evenly over the input, or none. A run lasts a few hundred milliseconds (a quick one ~0.3 s), so a
 * 1 s interval took no checkpoint at all and measured nothing; instead the source asks for a
 * checkpoint each time another 1/(checkpoints + 1) of the input was generated (both variants run
 * the same per-record test), so checkpoints come every ~50 ms (quick) to ~200 ms (full run), a
 * harder test than 1 s. The run fails unless at least {@link MIN_CHECKPOINTS} completed while it
 * ran; its row says how many and how far apart they were on average.
 */
function tumblingCountJob(checkpoints: number): SystemRun {
  return async (n) => {
    const inspection = new InspectionBus();
    const durations: number[] = [];
    inspection.subscribe((e) => {
      if (e.type === 'checkpoint.completed') durations.push(e.durationMs);
    });
    const env = StreamEnvironment.create({ inspection, checkpointing: checkpoints ? { intervalMs: 2 ** 31 - 1 } : undefined });
    const sink = digestSink(hashCount);
    const step = checkpoints ? Math.floor(n / (checkpoints + 1)) : 0;
    let next = checkpoints ? step : -1;
    // A checkpoint asked for near the end may be abandoned when the job finishes first: not counted.
    let abandoned = 0;
    let job: JobHandle | undefined;
    env
      .fromGenerator((i, r): Ev => {
        if (i === next) {
          next = next + step < n ? next + step : -1;
          job?.checkpoint().catch(() => abandoned++);
        }
        return { key: r.int(10_000), at: Math.floor(i / 10) };
      }, { count: n, seed: SEED })
      .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.at))
      .keyBy((e) => e.key)
      .window(TumblingEventTimeWindows.of(10_000))
      .aggregate({ createAccumulator: () => 0, add: (_e, c) => c + 1, getResult: (c) => c, merge: (a, b) => a + b })
      .sinkTo(sink);
    const started = performance.now();
    job = env.executeAsync('checkpointing');
    await job.done;
    const ms = performance.now() - started;
    if (checkpoints && durations.length < MIN_CHECKPOINTS) throw new Error(`only ${durations.length} checkpoint(s) completed in the ${Math.round(ms)} ms run, fewer than ${MIN_CHECKPOINTS}: the checkpoint cost was not measured`);
    const mean = durations.length ? durations.reduce((a, b) => a + b, 0) / durations.length : 0;
    return digestResult(sink.digest, checkpoints ? { checkpoints: durations.length, abandoned, checkpointEveryMs: Math.round(ms / (durations.length + 1)), meanCheckpointMs: Math.round(mean * 10) / 10 } : { checkpoints: 0 });
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
    // Its own group: every run must complete all its checkpoints (the job is cancelled after them, so counts vary).
    digest: `checkpoints:${checkpoints.length}`,
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
  note: 'weir-ckpt / weir-none: cost of 6 aligned checkpoints spread over a tumbling-count run of 0.2-1.5 s (extra.checkpoints, extra.checkpointEveryMs: more often than every second); weir-1m-keys: checkpoints of 1M keys, packed by key group after the barrier (extra.checkpointMs: median of 3, extra.checkpointStallMs: longest event-loop stall of each), against a savepoint packed whole at the barrier in the same run (extra.savepointMs, savepointStallMs)',
  systems: {
    'weir-none': tumblingCountJob(0),
    'weir-ckpt': tumblingCountJob(6),
    'weir-1m-keys': millionKeys,
  },
  resultGroups: [['weir-none', 'weir-ckpt'], ['weir-1m-keys']],
};
