import { parentPort, workerData } from 'node:worker_threads';
import { ExportResultCode } from '@opentelemetry/core';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { EXPORTED, FAILED, type ExporterSpec, type FromWorker, type ToWorker, type WorkerConfig } from '../telemetry/span-wire.ts';
import { SpanBatchReader } from './span-batch-reader.ts';

/**
 * The tracing worker (a `worker_threads` thread started by `startTracingWorker`): runs the
 * OpenTelemetry SDK so span processing and export take no time from the job's thread. Batches of
 * ended spans arrive as typed and packed arrays (see span-wire.ts) and become ReadableSpans fed to a
 * BatchSpanProcessor and the configured exporter, with the resource the main thread asked for
 * (merged over the SDK default and `OTEL_RESOURCE_ATTRIBUTES`). Each finished export is counted
 * in shared memory, so the main thread's bounded queue knows what is still in flight.
 */
const config = workerData as WorkerConfig;
const port = parentPort!;
const send = (m: FromWorker) => port.postMessage(m);
const progress = new Int32Array(config.progress);
const resource = defaultResource().merge(detectResources({ detectors: [envDetector] })).merge(resourceFromAttributes(config.resource));
const reader = new SpanBatchReader(config.timeOrigin, resource);
let exported = 0;
let failed = 0;

async function makeExporter(spec: ExporterSpec): Promise<SpanExporter> {
  if (spec === 'otlp') return new OTLPTraceExporter();
  if (spec === 'console') return new ConsoleSpanExporter();
  const mod = (await import(spec.module)) as Record<string, (options: unknown) => SpanExporter | Promise<SpanExporter>>;
  const make = mod[spec.name ?? 'createExporter'];
  if (typeof make !== 'function') throw new Error(`exporter module ${spec.module} has no function '${spec.name ?? 'createExporter'}'`);
  return make(spec.options);
}

/** Counts what each export finished with and tells the main thread. */
function counting(inner: SpanExporter): SpanExporter {
  return {
    export(spans, done) {
      inner.export(spans, (result) => {
        if (result.code === ExportResultCode.SUCCESS) exported += spans.length;
        else failed += spans.length;
        Atomics.add(progress, result.code === ExportResultCode.SUCCESS ? EXPORTED : FAILED, spans.length);
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}

// The main thread bounds what is in flight to maxQueueSize, so this processor's queue never drops.
const processor = makeExporter(config.exporter).then(
  (exporter) =>
    new BatchSpanProcessor(counting(exporter), {
      maxQueueSize: config.maxQueueSize,
      maxExportBatchSize: config.maxExportBatchSize,
      ...(config.scheduledDelayMillis !== undefined ? { scheduledDelayMillis: config.scheduledDelayMillis } : {}),
    }),
);
processor.catch((e: unknown) => send({ type: 'error', message: `tracing worker: cannot create the exporter: ${e instanceof Error ? e.message : String(e)}` }));
const failure = (e: unknown) => send({ type: 'error', message: e instanceof Error ? e.message : String(e) });

// Listening at once (not after the exporter is made): messages are handled in order through the same promise.
port.on('message', (m: ToWorker) => {
  void processor.then((p) => {
    switch (m.type) {
      case 'spans': {
        reader.read(m, (span) => p.onEnd(span));
        return;
      }
      case 'flush':
        return p.forceFlush().then(() => send({ type: 'flushed', id: m.id, exported, failed }), failure);
      case 'shutdown':
        return p.shutdown().then(() => {
          send({ type: 'flushed', id: m.id, exported, failed });
          port.close();
        }, failure);
    }
  }, () => undefined);
});
