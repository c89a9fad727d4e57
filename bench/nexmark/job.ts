import { StreamEnvironment, WatermarkStrategy, type Sink, type EnvironmentOptions } from '../../src/index.ts';
import type { NexmarkQuery } from './query.ts';
import type { NexmarkEvent } from './model.ts';
import { NexmarkGenerator } from './generator.ts';

/** Runs one query over events 0…count-1 of `gen` with Weir, writing its output to `sink`. */
export async function runQuery<O>(query: NexmarkQuery<O>, gen: NexmarkGenerator, count: number, sink: Sink<O>, options: EnvironmentOptions & { onGenerated?: (i: number) => void } = {}): Promise<void> {
  const { onGenerated, ...envOptions } = options;
  const env = StreamEnvironment.create(envOptions);
  const events = env
    .fromSource(gen.source(count, onGenerated))
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<NexmarkEvent>(gen.config.outOfOrderMs));
  query.build(events).sinkTo(sink);
  await env.execute(`nexmark-${query.name}`);
}

export { NexmarkGenerator };
