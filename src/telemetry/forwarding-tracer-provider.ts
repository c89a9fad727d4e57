import { context as contextApi, trace, isSpanContextValid, TraceFlags, type Context, type Span, type SpanOptions, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { ForwardedSpan, adoptAttributes, toPerfMs, type SpanQueue } from './forwarded-span.ts';
import { SpanIds } from './span-ids.ts';
import { EXPORTED, FAILED, ID_BYTES, NUM_STRIDE, WireTables, type SpanBatch, type ToWorker, type WireScope } from './span-wire.ts';

/** Options of {@link ForwardingTracerProvider}. */
export interface ForwardingOptions {
  /** Spans queued on this thread plus those shipped and not yet exported; beyond it, new spans are dropped and counted. */
  maxQueueSize: number;
  /** Spans per export in the worker; messages to it carry up to this many, or a quarter of `maxQueueSize` when that is more. */
  maxExportBatchSize: number;
  /** A partly filled batch is shipped after this long. */
  scheduledDelayMillis: number;
}

/** Counters of a forwarding provider. */
export interface ForwardingStats {
  /** Spans ended and queued. */
  ended: number;
  /** Spans shipped to the worker. */
  forwarded: number;
  /** Spans dropped because the queue was full (as BatchSpanProcessor drops them). */
  dropped: number;
}

/**
 * A TracerProvider on `@opentelemetry/api` only, for the thread that runs the job: its spans
 * record compactly ({@link ForwardedSpan}) and, once ended, are written into a batch of typed
 * and packed arrays (span-wire.ts) shipped through `post` to a thread that runs the SDK (see
 * `startTracingWorker`). Sampling is
 * parent-based, always-on (the SDK default; Weir samples records itself). The queue is bounded:
 * spans waiting here plus spans shipped whose export has not finished never exceed
 * `maxQueueSize`; past that, ended spans are dropped and counted. Single-threaded; the worker
 * counts finished exports in `progress` ([exported, failed], shared memory).
 */
export class ForwardingTracerProvider implements TracerProvider, SpanQueue {
  private readonly ids = new SpanIds();
  private readonly tracers = new Map<string, Tracer>();
  private readonly scopes: WireScope[] = [];
  /**
   * Spans per message to the worker: the export batch size, or a quarter of the queue when that is
   * larger. A message costs tens of µs on this thread, and on a busy machine the worker thread it
   * wakes may take this thread's core for milliseconds (the bench's profile at 1/1000 had 3 ms in
   * postMessage per 512-span message under load): so they are few.
   */
  private readonly shipSize: number;
  private batch: SpanBatch;
  private readonly tables = new WireTables();
  /** Spans whose export had finished when last looked at (a lower bound of what has). */
  private finished = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  readonly stats: ForwardingStats = { ended: 0, forwarded: 0, dropped: 0 };

  constructor(
    private readonly post: (message: ToWorker, transfer?: ArrayBuffer[]) => void,
    private readonly progress: Int32Array,
    private readonly options: ForwardingOptions,
  ) {
    this.shipSize = Math.min(options.maxQueueSize, Math.max(options.maxExportBatchSize, options.maxQueueSize >> 2));
    this.batch = this.newBatch();
  }

  getTracer(name: string, version = '', options?: { schemaUrl?: string }): Tracer {
    const key = `${name}@${version}:${options?.schemaUrl ?? ''}`;
    let tracer = this.tracers.get(key);
    if (tracer === undefined) {
      this.scopes.push([name, version, options?.schemaUrl ?? '']);
      tracer = new ForwardingTracer(this, this.scopes.length - 1);
      this.tracers.set(key, tracer);
    }
    return tracer;
  }

  /** A span of scope `scope`; non-recording when the parent is not sampled or the provider is shut down. */
  startSpan(scope: number, name: string, options: SpanOptions | undefined, ctx: Context): Span {
    const parent = options?.root ? undefined : trace.getSpanContext(ctx);
    const hasParent = parent !== undefined && isSpanContextValid(parent);
    const at = this.ids.take(hasParent ? parent.traceId : undefined);
    const pool = this.ids.pool;
    if (this.closed || (hasParent && (parent.traceFlags & TraceFlags.SAMPLED) === 0)) {
      const traceId = hasParent ? parent.traceId : pool.toString('hex', at, at + 16);
      return trace.wrapSpanContext({ traceId, spanId: pool.toString('hex', at + 16, at + 24), traceFlags: TraceFlags.NONE, traceState: parent?.traceState });
    }
    const start = options?.startTime === undefined ? performance.now() : toPerfMs(options.startTime);
    return new ForwardedSpan(this, scope, name, options?.kind ?? 0, pool, at, hasParent ? parent.traceId : undefined, TraceFlags.SAMPLED, hasParent ? parent.traceState : undefined, hasParent ? parent.spanId : '', hasParent && parent.isRemote === true, start, adoptAttributes(options?.attributes), options?.links);
  }

  enqueue(span: ForwardedSpan): void {
    const batch = this.batch;
    // The worker's progress is read only near the bound (an atomic load is cheap, not reading it is cheaper).
    if (batch.count + this.stats.forwarded - this.finished >= this.options.maxQueueSize && batch.count + this.inFlight() >= this.options.maxQueueSize) {
      this.stats.dropped++;
      return;
    }
    this.stats.ended++;
    // Written into the batch at once, so the span object dies young instead of waiting in a queue
    // (spans kept for the next scavenge get copied and promoted: that cost more than making them).
    span.writeTo(batch, batch.count++, this.tables);
    if (batch.count >= this.shipSize) this.ship();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.ship(), this.options.scheduledDelayMillis);
      // Tracing alone must not keep a finished job's process alive.
      this.timer.unref();
    }
  }

  /** Ships every queued span now. */
  ship(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.batch;
    if (batch.count === 0) return;
    this.batch = this.newBatch();
    if (batch.count < this.shipSize) {
      batch.nums = batch.nums.slice(0, batch.count * NUM_STRIDE);
      batch.ids = batch.ids.slice(0, batch.count * ID_BYTES);
    }
    this.stats.forwarded += batch.count;
    // The typed arrays' buffers are moved, not copied.
    this.post(batch, [batch.nums.buffer as ArrayBuffer, batch.ids.buffer as ArrayBuffer]);
  }

  private newBatch(): SpanBatch {
    this.tables.reset();
    return { type: 'spans', scopes: this.scopes, count: 0, nums: new Float64Array(this.shipSize * NUM_STRIDE), ids: new Uint8Array(this.shipSize * ID_BYTES), names: [], attributes: [], extras: [] };
  }

  /** Spans shipped whose export has not finished (ok or failed) in the worker. */
  private inFlight(): number {
    this.finished = Atomics.load(this.progress, EXPORTED) + Atomics.load(this.progress, FAILED);
    return this.stats.forwarded - this.finished;
  }

  /** Spans made after this are non-recording (the worker is going away). */
  close(): void {
    this.ship();
    this.closed = true;
  }
}

/** The tracer of one instrumentation scope of a {@link ForwardingTracerProvider}. */
class ForwardingTracer implements Tracer {
  constructor(
    private readonly provider: ForwardingTracerProvider,
    private readonly scope: number,
  ) {}

  startSpan(name: string, options?: SpanOptions, ctx?: Context): Span {
    return this.provider.startSpan(this.scope, name, options, ctx ?? contextApi.active());
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...args: [F] | [SpanOptions, F] | [SpanOptions, Context, F]): ReturnType<F> {
    const fn = args[args.length - 1] as (span: Span) => ReturnType<F>;
    const options = args.length > 1 ? (args[0] as SpanOptions) : undefined;
    const parent = args.length > 2 ? (args[1] as Context) : contextApi.active();
    const span = this.startSpan(name, options, parent);
    return contextApi.with(trace.setSpan(parent, span), fn, undefined, span);
  }
}
