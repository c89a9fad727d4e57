import type { Attributes } from '@opentelemetry/api';

/**
 * How ended spans travel from the main thread to the tracing worker: one message per batch, the
 * spans' numbers in one Float64Array ({@link NUM_STRIDE} per span), their strings and attribute
 * objects in packed arrays ({@link STR_STRIDE} strings and one attribute object per span), and
 * the rarely present links, events, status messages and trace states apart, for the spans that
 * have them. Structured clone copies a typed array as one block and an attribute object shared
 * by many spans once; an object or a holey array per span would cost ~1 µs a span to clone.
 * Times are milliseconds on the main thread's `performance.now()` clock; the worker adds the main
 * thread's time origin.
 */
export interface SpanBatch {
  type: 'spans';
  scopes: WireScope[];
  /** Spans in the batch. */
  count: number;
  nums: Float64Array;
  strs: string[];
  attributes: Attributes[];
  /** [span index, links, events, status message, tracestate], flat, for spans with any of them. */
  extras: unknown[];
}

/** Numbers of one span in {@link SpanBatch.nums}. */
export const NUM_STRIDE = 7;
export const N = { TraceFlags: 0, ParentIsRemote: 1, Kind: 2, Start: 3, End: 4, StatusCode: 5, Scope: 6 } as const;

/** Strings of one span in {@link SpanBatch.strs}; the parent span id is '' for a root span. */
export const STR_STRIDE = 4;
export const S = { TraceId: 0, SpanId: 1, ParentSpanId: 2, Name: 3 } as const;

/** One entry of {@link SpanBatch.extras}: links flat as [traceId, spanId, traceFlags, isRemote, attributes | 0, …] or 0, events flat as [name, time, attributes | 0, …] or 0, status message or '', tracestate or ''. */
export const EXTRA_STRIDE = 5;
export const LINK_STRIDE = 5;
export const EVENT_STRIDE = 3;

/** An instrumentation scope: [name, version, schemaUrl]. */
export type WireScope = [string, string, string];

/** Main thread → worker. */
export type ToWorker =
  | SpanBatch
  | { type: 'flush'; id: number }
  | { type: 'shutdown'; id: number };

/** Worker → main thread: `done` counts spans whose export finished (ok or failed), so the main thread knows what is still in flight. */
export type FromWorker =
  | { type: 'done'; exported: number; failed: number }
  | { type: 'flushed'; id: number; exported: number; failed: number }
  | { type: 'error'; message: string };

/** What the worker is started with (its `workerData`). */
export interface WorkerConfig {
  /** `performance.timeOrigin` of the main thread, in ms since the epoch. */
  timeOrigin: number;
  resource: Attributes;
  exporter: ExporterSpec;
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis?: number;
}

/**
 * The exporter the worker feeds: OTLP over HTTP/protobuf (per `OTEL_EXPORTER_OTLP_*`), the
 * console, or a module that makes one: `module` (a URL or absolute path) exports a function
 * `name` (default `createExporter`) called with `options` in the worker, returning a `SpanExporter`.
 */
export type ExporterSpec = 'otlp' | 'console' | { module: string; name?: string; options?: unknown };
