import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { StreamEnvironment, startTracingWorker, type TracingWorker } from '../../src/index.ts';
import type { Scenario, SystemRun } from '../scenario.ts';
import { SEED, trade, discount, expensive, total } from '../workloads.ts';
import { digestSink, mix } from '../result-digest.ts';

const hashTotal = (x: number) => mix(0, x);

/** Spans exported and dropped so far, once everything ended has been exported. */
type Exported = () => Promise<{ exported: number; dropped: number }>;
let installed: Exported | undefined;

/** Weir's standard setup (what `weir run --trace-sample` does): the SDK in the tracing worker, its exporter dropping spans there. */
function installWorker(): Exported {
  const worker: TracingWorker = startTracingWorker({ exporter: { module: new URL('../drop-exporter.ts', import.meta.url).href }, maxQueueSize: 65_536 });
  return async () => {
    const s = await worker.forceFlush();
    return { exported: s.exported, dropped: s.dropped };
  };
}

/** The SDK on the job's thread (a real batching processor, an exporter that drops): what tracing cost before the worker. */
function installInline(): Exported {
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
  return async () => {
    await provider.forceFlush();
    return { exported, dropped: 0 };
  };
}

/**
 * Map-filter with tracing at `rate` (`share` of the events only, for a variant too slow for the
 * whole input). The SDK is installed once per process (the warm-up run and the measured run
 * share it); each run checks that every span it should have made was exported, so a row cannot
 * quietly trace nothing.
 */
function mapFilter(rate: number, setup: 'worker' | 'inline', share = 1): SystemRun {
  return async (all) => {
    const n = Math.max(1, Math.round(all * share));
    // Tracing off is what `weir run` without --trace-sample does: no tracer, no SDK, no worker.
    const exported = rate === 0 ? async () => ({ exported: 0, dropped: 0 }) : (installed ??= setup === 'worker' ? installWorker() : installInline());
    const before = await exported();
    const env = StreamEnvironment.create({ traceSampleRate: rate || undefined });
    const sink = digestSink(hashTotal);
    env.fromGenerator(trade, { count: n, seed: SEED }).map(discount).filter(expensive).map(total).sinkTo(sink);
    // The job alone is timed: the two flushes around it are round trips to the tracing worker
    // (on a busy machine, 0.1-0.4 s waiting for its thread to be scheduled), not cost per record.
    const started = performance.now();
    await env.execute('tracing-overhead');
    const seconds = (performance.now() - started) / 1000;
    // One send span per sampled record (the whole job is one fused chain actor), and nothing else.
    const flushStarted = performance.now();
    const after = await exported();
    const flushMs = Math.round(performance.now() - flushStarted);
    const spans = after.exported - before.exported;
    const dropped = after.dropped - before.dropped;
    const expected = rate === 0 ? 0 : Math.ceil(n * rate);
    if (spans + dropped !== expected) throw new Error(`expected ${expected} spans, got ${spans} exported and ${dropped} dropped`);
    // Every record traced may outrun the exporter (the queue then drops, as BatchSpanProcessor does); 1 in 1000 must not.
    if (dropped > 0 && rate < 1) throw new Error(`${dropped} of ${expected} spans dropped`);
    return { handled: sink.digest.count, digest: sink.digest.toString(), seconds, extra: { spans, dropped, flushMs, ...(share === 1 ? {} : { share }) }, ...(share === 1 ? {} : { events: n }) };
  };
}

/** tracing-overhead: map-filter with record tracing off, 1 in 1000 and every record, with the SDK in the tracing worker (and, for comparison, inline). */
export const tracingOverhead: Scenario = {
  name: 'tracing-overhead',
  // Long enough (about 0.5 s untraced) that the figure is the steady cost, not a few rare slow batches.
  events: 20_000_000,
  quickEvents: 2_000_000,
  // A quarter of the input (5M events: 5000 sampled batches) three times, so the traced path is optimized before the measured run, as in a
  // long-running job. After one warm-up job, `node --trace-opt --trace-deopt` shows ~35 functions (the tracing path's and the runtime's)
  // deoptimized and compiled again while the measured job runs, and 1/1000 measures 0.81-0.90x of off; after three, none, and 0.96x.
  // One warm-up job of three times the events does not do it (0.90x): it is the new job's objects, not the records, that V8 must see.
  warmupEvents: (events) => Math.round(events / 4),
  warmupRuns: 3,
  note: 'weir-sample-1 runs on a tenth of the events (it is ~100x slower); -inline rows run the SDK on the job thread (before the tracing worker)',
  systems: {
    'weir-off': mapFilter(0, 'worker'),
    'weir-sample-0.001': mapFilter(0.001, 'worker'),
    'weir-sample-0.001-inline': mapFilter(0.001, 'inline'),
    'weir-sample-1': mapFilter(1, 'worker', 0.1),
  },
  // weir-sample-1 maps a tenth of the input: its result is only compared between its own runs.
  resultGroups: [['weir-off', 'weir-sample-0.001', 'weir-sample-0.001-inline'], ['weir-sample-1']],
};
