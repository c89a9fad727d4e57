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
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 65_536, maxExportBatchSize: 4096 })] });
  trace.setGlobalTracerProvider(provider);
  return () => exported;
}

function mapFilter(rate: number): SystemRun {
  return async (n) => {
    installSdk();
    const env = StreamEnvironment.create({ traceSampleRate: rate || undefined });
    const sink = new CountSink();
    env.fromGenerator(trade, { count: n, seed: SEED }).map(discount).filter(expensive).map(total).sinkTo(sink);
    await env.execute('tracing-overhead');
    return sink.count;
  };
}

/** tracing-overhead: map-filter with record tracing off, 1 in 1000 and every record, with a real SDK installed. */
export const tracingOverhead: Scenario = {
  name: 'tracing-overhead',
  events: 5_000_000,
  quickEvents: 1_000_000,
  systems: { 'weir-off': mapFilter(0), 'weir-sample-0.001': mapFilter(0.001), 'weir-sample-1': mapFilter(1) },
};
