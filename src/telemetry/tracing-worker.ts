import { Worker } from 'node:worker_threads';
import { trace, type Attributes, type TracerProvider } from '@opentelemetry/api';
import { TracingWorkerError } from '../errors.ts';
import { ForwardingTracerProvider, type ForwardingStats } from './forwarding-tracer-provider.ts';
import { EXPORTED, FAILED, type ExporterSpec, type FromWorker, type WorkerConfig } from './span-wire.ts';

export type { ExporterSpec } from './span-wire.ts';

/** Options of {@link startTracingWorker}. */
export interface TracingWorkerOptions {
  /** Where spans go (default `'otlp'`: OTLP over HTTP/protobuf per the `OTEL_EXPORTER_OTLP_*` variables). */
  exporter?: ExporterSpec;
  /** Resource attributes, over `service.name` = `OTEL_SERVICE_NAME` or `weir` (and `OTEL_RESOURCE_ATTRIBUTES`). */
  resource?: Attributes;
  /** Spans queued or in flight at most; more are dropped and counted (default `OTEL_BSP_MAX_QUEUE_SIZE` or 2048). */
  maxQueueSize?: number;
  /** Spans per batch, to the worker and to the exporter (default `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` or 512). */
  maxExportBatchSize?: number;
  /** The worker's BatchSpanProcessor delay (default `OTEL_BSP_SCHEDULE_DELAY` or 5000 ms). */
  scheduledDelayMillis?: number;
  /** Register the provider as the global one (default true); shutdown unregisters it. */
  register?: boolean;
}

/** Span counts of a tracing worker: ended on this thread, forwarded to the worker, dropped (queue full), exported and failed in the worker. */
export interface TracingWorkerStats extends ForwardingStats {
  exported: number;
  failed: number;
}

/** A running tracing worker (see {@link startTracingWorker}). */
export interface TracingWorker {
  /** The light provider on this thread (registered globally unless `register: false`). */
  readonly provider: TracerProvider;
  /** Counts so far (`exported`/`failed` as last reported by the worker). */
  stats(): TracingWorkerStats;
  /** Ships every ended span and waits until the worker has exported them. */
  forceFlush(): Promise<TracingWorkerStats>;
  /** Flushes, shuts the SDK down in the worker and waits for the worker to end; later spans are non-recording. */
  shutdown(): Promise<TracingWorkerStats>;
}

const envNumber = (name: string): number | undefined => {
  const v = Number(process.env[name]);
  return process.env[name] !== undefined && Number.isFinite(v) && v > 0 ? v : undefined;
};

/**
 * Runs the OpenTelemetry SDK (BatchSpanProcessor and exporter) in a `worker_threads` worker and
 * installs on this thread a light TracerProvider that only records spans and ships them there in
 * batches: an SDK span costs microseconds of the job's thread (ids, clock, attribute copies,
 * processor), which at 1-in-1000 sampling of tens of millions of records a second is a tenth of
 * the throughput. This is what `weir run --trace-sample` uses. Nothing grows without bound: past
 * `maxQueueSize` spans waiting or in flight, new spans are dropped and counted.
 * @example
 * ```ts
 * const tracing = startTracingWorker({ exporter: 'otlp', resource: { 'weir.node': 'a' } })
 * await StreamEnvironment.create({ traceSampleRate: 0.001 })…execute('job')
 * await tracing.shutdown() // exports the last spans
 * ```
 */
export function startTracingWorker(options: TracingWorkerOptions = {}): TracingWorker {
  const maxQueueSize = options.maxQueueSize ?? envNumber('OTEL_BSP_MAX_QUEUE_SIZE') ?? 2048;
  const maxExportBatchSize = Math.min(maxQueueSize, options.maxExportBatchSize ?? envNumber('OTEL_BSP_MAX_EXPORT_BATCH_SIZE') ?? 512);
  const config: WorkerConfig = {
    timeOrigin: performance.timeOrigin,
    resource: { 'service.name': process.env.OTEL_SERVICE_NAME ?? 'weir', ...options.resource },
    exporter: options.exporter ?? 'otlp',
    maxQueueSize,
    maxExportBatchSize,
    progress: new SharedArrayBuffer(8),
    ...(options.scheduledDelayMillis !== undefined ? { scheduledDelayMillis: options.scheduledDelayMillis } : {}),
  };
  const entry = new URL('../cli/trace-export-worker.ts', import.meta.url).href;
  // A worker does not inherit the tsx loader of this thread: its bootstrap registers tsx, then loads the TypeScript entry.
  const tsx = import.meta.resolve('tsx/esm/api');
  const worker = new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, { eval: true, workerData: config });
  worker.unref();
  const progress = new Int32Array(config.progress);
  const provider = new ForwardingTracerProvider((m, transfer) => worker.postMessage(m, transfer), progress, { maxQueueSize, maxExportBatchSize, scheduledDelayMillis: 100 });
  let exported = 0;
  let failed = 0;
  let failure: TracingWorkerError | undefined;
  let nextId = 0;
  const waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  const fail = (e: TracingWorkerError) => {
    failure ??= e;
    for (const w of waiting.values()) w.reject(failure);
    waiting.clear();
  };
  worker.on('message', (m: FromWorker) => {
    if (m.type === 'flushed') {
      exported = m.exported;
      failed = m.failed;
      waiting.get(m.id)?.resolve();
      waiting.delete(m.id);
    } else fail(new TracingWorkerError(m.message));
  });
  worker.on('error', (e) => fail(new TracingWorkerError(e.message, e)));
  const exit = new Promise<void>((resolve) =>
    worker.on('exit', (code) => {
      provider.close();
      fail(new TracingWorkerError(`the worker exited (code ${code})`));
      resolve();
    }),
  );
  const registered = options.register !== false && trace.setGlobalTracerProvider(provider);
  const stats = (): TracingWorkerStats => ({ ...provider.stats, exported: Math.max(exported, Atomics.load(progress, EXPORTED)), failed: Math.max(failed, Atomics.load(progress, FAILED)) });

  /** Sends `type` and waits for the worker's answer; the worker holds the process open meanwhile. */
  const ask = (type: 'flush' | 'shutdown'): Promise<TracingWorkerStats> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    worker.ref();
    return new Promise<void>((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      worker.postMessage({ type, id });
    })
      .then(stats)
      .finally(() => worker.unref());
  };
  let shutdown: Promise<TracingWorkerStats> | undefined;
  return {
    provider,
    stats,
    forceFlush() {
      provider.ship();
      return ask('flush');
    },
    shutdown() {
      shutdown ??= (async () => {
        provider.close();
        if (registered) trace.disable();
        try {
          return await ask('shutdown');
        } finally {
          // The worker ends once its SDK is shut down (its console output is flushed as it exits);
          // a stuck exporter or a failed worker is cut off. The timer also keeps this process up until then.
          const timer = setTimeout(() => void worker.terminate(), failure ? 0 : 2000);
          await exit;
          clearTimeout(timer);
        }
      })();
      return shutdown;
    },
  };
}
