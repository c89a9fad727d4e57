import { StreamEnvironment, CountSink, InspectionBus } from '../../src/index.ts';
import type { Scenario } from '../scenario.ts';
import { SEED, trade } from '../workloads.ts';

/** The keyed running count with checkpoints every second versus none (windows land with the DataStream issue). */
function keyedCountJob(checkpointEveryMs: number | undefined): (n: number) => Promise<number> {
  return async (n) => {
    const inspection = new InspectionBus();
    let checkpoints = 0;
    inspection.subscribe((e) => {
      if (e.type === 'checkpoint.completed') checkpoints++;
    });
    const env = StreamEnvironment.create({ inspection, checkpointing: checkpointEveryMs ? { intervalMs: checkpointEveryMs } : undefined });
    const sink = new CountSink();
    env
      .fromGenerator(trade, { count: n, seed: SEED })
      .map((t) => ({ key: t.key, count: 1 }))
      .keyBy((c) => c.key)
      .reduce((a, b) => ({ key: a.key, count: a.count + b.count }))
      .sinkTo(sink);
    await env.execute('checkpointing');
    if (checkpointEveryMs && n >= 5_000_000 && checkpoints === 0) throw new Error('no checkpoint completed during the run');
    return sink.count;
  };
}

export const checkpointing: Scenario = {
  name: 'checkpointing',
  events: 20_000_000,
  quickEvents: 3_000_000,
  note: 'weir-1s / weir-none: cost of aligned checkpoints every second',
  systems: {
    'weir-none': keyedCountJob(undefined),
    'weir-1s': keyedCountJob(1000),
  },
};
