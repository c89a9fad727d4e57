import { metrics } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, ConsoleMetricExporter, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { hostname } from 'node:os';
import { startTracingWorker } from '../telemetry/tracing-worker.ts';

/** What the CLI was asked for. */
export interface TelemetryOptions {
  /** Export spans (record sampling itself is the environment's `traceSampleRate`). */
  traces: boolean;
  metrics: boolean;
  /** Print to the console instead of sending OTLP. */
  console: boolean;
  /** Resource attributes: the node and the job. */
  node?: string;
  job?: string;
}

/**
 * Sets up the OpenTelemetry Node SDK for the `weir` command from the standard `OTEL_*` variables
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_SERVICE_NAME`,
 * `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_METRIC_EXPORT_INTERVAL`…): OTLP over HTTP/protobuf, service
 * name `weir`, resource attributes for node and job. Spans are processed and exported by the SDK
 * in a worker thread ({@link startTracingWorker}), so tracing takes little from the job's thread;
 * metrics are read periodically on this thread. Returns a function that flushes and shuts
 * everything down (call it before exit so the last spans are sent).
 */
export function setupTelemetry(options: TelemetryOptions): () => Promise<void> {
  const attributes = {
    'service.name': process.env.OTEL_SERVICE_NAME ?? 'weir',
    'weir.node': options.node ?? hostname(),
    ...(options.job ? { 'weir.job': options.job } : {}),
  };
  const resource = resourceFromAttributes(attributes);
  const shutdowns: Array<() => Promise<unknown>> = [];
  if (options.traces) {
    const tracing = startTracingWorker({ exporter: options.console ? 'console' : 'otlp', resource: attributes });
    shutdowns.push(() => tracing.shutdown());
  }
  if (options.metrics) {
    const exporter: PushMetricExporter = options.console ? new ConsoleMetricExporter() : new OTLPMetricExporter();
    const interval = Number(process.env.OTEL_METRIC_EXPORT_INTERVAL ?? 10_000);
    const provider = new MeterProvider({ resource, readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: interval })] });
    metrics.setGlobalMeterProvider(provider);
    shutdowns.push(() => provider.shutdown());
  }
  return async () => {
    await Promise.allSettled(shutdowns.map((s) => s()));
  };
}
