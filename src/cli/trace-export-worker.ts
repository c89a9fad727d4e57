import { parentPort, workerData } from 'node:worker_threads';
import { type Attributes, type HrTime, type Link, type SpanContext } from '@opentelemetry/api';
import { addHrTimes, hrTimeDuration, millisToHrTime, ExportResultCode, TraceState, type InstrumentationScope } from '@opentelemetry/core';
import { defaultResource, detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, type ReadableSpan, type SpanExporter, type TimedEvent } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { EVENT_STRIDE, EXTRA_STRIDE, LINK_STRIDE, N, NUM_STRIDE, S, STR_STRIDE, type ExporterSpec, type FromWorker, type SpanBatch, type ToWorker, type WireScope, type WorkerConfig } from '../telemetry/span-wire.ts';

/**
 * The tracing worker (a `worker_threads` thread started by `startTracingWorker`): runs the
 * OpenTelemetry SDK so span processing and export take no time from the job's thread. Batches of
 * ended spans arrive as typed and packed arrays (see span-wire.ts) and become ReadableSpans fed to a
 * BatchSpanProcessor and the configured exporter, with the resource the main thread asked for
 * (merged over the SDK default and `OTEL_RESOURCE_ATTRIBUTES`). Each finished export is reported
 * back (`done`), so the main thread's bounded queue knows what is still in flight.
 */
const config = workerData as WorkerConfig;
const port = parentPort!;
const send = (m: FromWorker) => port.postMessage(m);
const origin = millisToHrTime(config.timeOrigin);
const resource: Resource = defaultResource().merge(detectResources({ detectors: [envDetector] })).merge(resourceFromAttributes(config.resource));
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
        send({ type: 'done', exported: spans.length * Number(result.code === ExportResultCode.SUCCESS), failed: spans.length * Number(result.code !== ExportResultCode.SUCCESS) });
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}

const time = (ms: number): HrTime => addHrTimes(origin, millisToHrTime(ms));

function links(flat: unknown[] | 0): Link[] {
  const out: Link[] = [];
  if (flat === 0) return out;
  for (let i = 0; i < flat.length; i += LINK_STRIDE) {
    const context: SpanContext = { traceId: flat[i] as string, spanId: flat[i + 1] as string, traceFlags: flat[i + 2] as number, isRemote: flat[i + 3] as boolean };
    const attributes = flat[i + 4];
    out.push(attributes === 0 ? { context } : { context, attributes: attributes as Attributes });
  }
  return out;
}

function events(flat: unknown[] | 0): TimedEvent[] {
  const out: TimedEvent[] = [];
  if (flat === 0) return out;
  for (let i = 0; i < flat.length; i += EVENT_STRIDE) {
    const attributes = flat[i + 2];
    out.push({ name: flat[i] as string, time: time(flat[i + 1] as number), ...(attributes === 0 ? {} : { attributes: attributes as Attributes }), droppedAttributesCount: 0 });
  }
  return out;
}

/** The ReadableSpan of span `i` of a batch; `extra` is its entry in `batch.extras` or -1. */
function readable(batch: SpanBatch, i: number, extra: number, scopes: InstrumentationScope[]): ReadableSpan {
  const nums = batch.nums;
  const o = i * NUM_STRIDE;
  const s = i * STR_STRIDE;
  const x = batch.extras;
  const traceState = extra < 0 ? '' : (x[extra + 4] as string);
  const message = extra < 0 ? '' : (x[extra + 3] as string);
  const ctx: SpanContext = { traceId: batch.strs[s + S.TraceId]!, spanId: batch.strs[s + S.SpanId]!, traceFlags: nums[o + N.TraceFlags]!, ...(traceState ? { traceState: new TraceState(traceState) } : {}) };
  const parentSpanId = batch.strs[s + S.ParentSpanId]!;
  const startTime = time(nums[o + N.Start]!);
  const endTime = time(nums[o + N.End]!);
  const code = nums[o + N.StatusCode]!;
  return {
    name: batch.strs[s + S.Name]!,
    kind: nums[o + N.Kind]!,
    spanContext: () => ctx,
    parentSpanContext: parentSpanId === '' ? undefined : { traceId: ctx.traceId, spanId: parentSpanId, traceFlags: ctx.traceFlags, isRemote: nums[o + N.ParentIsRemote] === 1, ...(ctx.traceState ? { traceState: ctx.traceState } : {}) },
    startTime,
    endTime,
    duration: hrTimeDuration(startTime, endTime),
    status: message === '' ? { code } : { code, message },
    attributes: batch.attributes[i]!,
    links: links(extra < 0 ? 0 : (x[extra + 1] as unknown[] | 0)),
    events: events(extra < 0 ? 0 : (x[extra + 2] as unknown[] | 0)),
    ended: true,
    resource,
    instrumentationScope: scopes[nums[o + N.Scope]!]!,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

const scopeCache = new Map<string, InstrumentationScope>();
function scopesOf(wire: WireScope[]): InstrumentationScope[] {
  return wire.map(([name, version, schemaUrl]) => {
    const key = `${name}@${version}:${schemaUrl}`;
    let s = scopeCache.get(key);
    if (s === undefined) scopeCache.set(key, (s = { name, ...(version ? { version } : {}), ...(schemaUrl ? { schemaUrl } : {}) }));
    return s;
  });
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
        const scopes = scopesOf(m.scopes);
        let next = 0; // the next entry of m.extras (they are in span order)
        for (let i = 0; i < m.count; i++) {
          const extra = next < m.extras.length && m.extras[next] === i ? next : -1;
          if (extra >= 0) next += EXTRA_STRIDE;
          p.onEnd(readable(m, i, extra, scopes));
        }
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
