import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { StreamEnvironment, CountSink } from '../../src/index.ts';
import type { Scenario, SystemRun } from '../scenario.ts';
import { SEED, trade, discount, expensive, total } from '../workloads.ts';

/** A real SDK pipeline (batching processor) whose exporter drops the spans: what tracing costs Weir, not the network. */
function installSdk(): () => number {
  let exported = 0;
  const exporter: SpanExporter = {
    export: (spans, done) => {
      exported += spans.length;
      done({ code: 0 });
    },
    shutdown: async () => {},
  };
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 65_536, maxExportBatchSize: 512 })] });
  trace.setGlobalTracerProvider(provider);
  return () => exported;
}

/** `share` of the events only, for a variant too slow for the whole input (every record traced). */
function mapFilter(rate: number, share = 1): SystemRun {
  return async (all) => {
    const n = Math.max(1, Math.round(all * share));
    installSdk();
    const env = StreamEnvironment.create({ traceSampleRate: rate || undefined });
    const sink = new CountSink();
    env.fromGenerator(trade, { count: n, seed: SEED }).map(discount).filter(expensive).map(total).sinkTo(sink);
    await env.execute('tracing-overhead');
    return share === 1 ? sink.count : { handled: sink.count, events: n, extra: { share } };
  };
}

/** tracing-overhead: map-filter with record tracing off, 1 in 1000 and every record, with a real SDK installed. */
export const tracingOverhead: Scenario = {
  name: 'tracing-overhead',
  // Long enough (about 1.5 s untraced) that the figure is the steady cost, not a few rare slow batches.
  events: 20_000_000,
  quickEvents: 2_000_000,
  note: 'weir-sample-1 runs on a tenth of the events (it is ~100x slower)',
  systems: { 'weir-off': mapFilter(0), 'weir-sample-0.001': mapFilter(0.001), 'weir-sample-1': mapFilter(1, 0.1) },
};
