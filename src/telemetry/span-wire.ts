import type { Attributes } from '@opentelemetry/api';

/**
 * How ended spans travel from the main thread to the tracing worker: one message per batch, the
 * spans' numbers in one Float64Array ({@link NUM_STRIDE} per span), their ids as bytes in one
 * Uint8Array ({@link ID_BYTES} per span), their names and attribute objects in tables of the
 * distinct ones (a span holds their indexes among its numbers: a hop's spans share one name and
 * one frozen attribute object, and a name per span made structured clone copy the same string
 * hundreds of times per message), and the rarely present links, events, status messages and trace states apart, for the spans
 * that have them. Both typed arrays are transferred, not copied, and structured clone copies an
 * attribute object shared by many spans once; ids as strings, or an object per span, made the
 * message cost more than the span. Times are milliseconds on the main thread's
 * `performance.now()` clock; the worker adds the main thread's time origin.
 */
export interface SpanBatch {
  type: 'spans';
  scopes: WireScope[];
  /** Spans in the batch. */
  count: number;
  nums: Float64Array;
  ids: Uint8Array;
  /** The distinct span names of the batch; a span's is `names[nums[o + N.Name]]`. */
  names: string[];
  /** The distinct attribute objects of the batch; a span's is `attributes[nums[o + N.Attributes]]`. */
  attributes: Attributes[];
  /** [span index, links, events, status message, tracestate], flat, for spans with any of them. */
  extras: unknown[];
}

/** Id bytes of one span in {@link SpanBatch.ids}: trace id, span id, parent span id (all zero for a root span). */
export const ID_BYTES = 32;
export const TRACE_ID_AT = 0;
export const SPAN_ID_AT = 16;
export const PARENT_ID_AT = 24;

/** Numbers of one span in {@link SpanBatch.nums}. */
export const NUM_STRIDE = 9;
export const N = { TraceFlags: 0, ParentIsRemote: 1, Kind: 2, Start: 3, End: 4, StatusCode: 5, Scope: 6, Name: 7, Attributes: 8 } as const;

/** Indexes of the values already in one table of a batch; the last value looked up is compared first (spans of one hop come in runs). */
class Interner<T> {
  private readonly ids = new Map<T, number>();
  private last: T | undefined;
  private lastId = -1;

  reset(): void {
    this.ids.clear();
    this.last = undefined;
  }

  /** The index of `value` (by identity) in `table`, added if new. */
  id(table: T[], value: T): number {
    if (value === this.last) return this.lastId;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = table.push(value) - 1;
      this.ids.set(value, id);
    }
    this.last = value;
    return (this.lastId = id);
  }
}

/** Indexes of the names and attribute objects already in a batch's tables (kept on the sending side, not shipped). */
export class WireTables {
  private readonly names = new Interner<string>();
  private readonly attributes = new Interner<Attributes>();

  /** Forgets the tables of the previous batch. */
  reset(): void {
    this.names.reset();
    this.attributes.reset();
  }

  /** The index of `name` in `batch.names`, added if new. */
  nameId(batch: SpanBatch, name: string): number {
    return this.names.id(batch.names, name);
  }

  /** The index of `attributes` (by identity) in `batch.attributes`, added if new. */
  attributesId(batch: SpanBatch, attributes: Attributes): number {
    return this.attributes.id(batch.attributes, attributes);
  }
}

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

/** Worker → main thread (exports finished are counted in {@link WorkerConfig.progress}, without a message). */
export type FromWorker =
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
  /**
   * Two Int32 counters the worker adds to as exports finish: spans exported, spans failed. The
   * main thread reads them to know what is still in flight (a message back per export would wake
   * the job's thread for nothing).
   */
  progress: SharedArrayBuffer;
}

/** Offsets of the counters in {@link WorkerConfig.progress}. */
export const EXPORTED = 0;
export const FAILED = 1;

/**
 * The exporter the worker feeds: OTLP over HTTP/protobuf (per `OTEL_EXPORTER_OTLP_*`), the
 * console, or a module that makes one: `module` (a URL or absolute path) exports a function
 * `name` (default `createExporter`) called with `options` in the worker, returning a `SpanExporter`
 * (or a promise of one). `options` must survive structured clone.
 * @example
 * ```ts
 * // my-exporter.ts:  export function createExporter(o: { url: string }) { return new OTLPTraceExporter({ url: o.url }) }
 * startTracingWorker({ exporter: { module: new URL('./my-exporter.ts', import.meta.url).href, options: { url: 'http://collector:4318/v1/traces' } } })
 * ```
 */
export type ExporterSpec = 'otlp' | 'console' | { module: string; name?: string; options?: unknown };
