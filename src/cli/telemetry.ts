import { metrics, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { BatchSpanProcessor, ConsoleSpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, PeriodicExportingMetricReader, ConsoleMetricExporter, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { hostname } from 'node:os';

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
 * name `weir`, resource attributes for node and job. Returns a function that flushes and shuts
 * everything down (call it before exit so the last spans are sent).
 */
export function setupTelemetry(options: TelemetryOptions): () => Promise<void> {
  const resource = resourceFromAttributes({
    'service.name': process.env.OTEL_SERVICE_NAME ?? 'weir',
    'weir.node': options.node ?? hostname(),
    ...(options.job ? { 'weir.job': options.job } : {}),
  });
  const shutdowns: Array<() => Promise<void>> = [];
  if (options.traces) {
    const exporter: SpanExporter = options.console ? new ConsoleSpanExporter() : new OTLPTraceExporter();
    const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
    trace.setGlobalTracerProvider(provider);
    shutdowns.push(() => provider.shutdown());
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
