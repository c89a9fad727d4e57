import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { trace, metrics } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { StreamEnvironment, CollectSink, type Sink } from '../../src/index.ts';
import { clicks, runTracedClickJob } from './fixtures/traced-click-job.ts';

// The real SDK with in-memory exporters, registered once for this process.
const spans = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
class TestReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}
const reader = new TestReader();
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));

test('a sampled record through source → map → keyBy → window → sink makes one connected trace, and the window firing links it', async () => {
  spans.reset();
  const counts = await runTracedClickJob();
  const all = spans.getFinishedSpans();
  const sends = all.filter((s) => s.name.endsWith(' send'));
  assert.is(sends.length, clicks.length, 'every record sampled at rate 1');
  const byId = new Map(all.map((s) => [s.spanContext().spanId, s]));
  const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
  // Follow the first record: one span per actor hop — send (source chain) → process (window chain).
  const traceId = sends[0]!.spanContext().traceId;
  const ofTrace = all.filter((s) => s.spanContext().traceId === traceId);
  assert.ok(sends[0]!.name.startsWith('collection'), `the source chain's span is the send span (${sends[0]!.name})`);
  const processes = ofTrace.filter((s) => s.name.endsWith(' process'));
  assert.is(processes.length, 1, `one process span per actor hop after the source (${processes.map((s) => s.name).join(', ')})`);
  assert.is(parentOf(processes[0]!), sends[0]!.spanContext().spanId, 'the window hop is a child of the send span');
  assert.ok(processes[0]!.name.startsWith('window-aggregate'), `the window chain made the process span (${processes[0]!.name})`);
  assert.is(ofTrace.length, 2, 'no span per operator inside a fused chain');
  assert.ok(processes.every((p) => p.attributes['messaging.system'] === 'weir' && p.attributes['weir.job'] === 'traced'));
  // The firing of window [0, 1000) for key A links the records that fed it.
  const fires = all.filter((s) => s.name.startsWith('window fire'));
  assert.ok(fires.length >= 1, 'a window firing span');
  const linkedTraces = new Set(fires.flatMap((f) => f.links.map((l) => l.context.traceId)));
  assert.ok(linkedTraces.has(traceId), 'the firing links the first record');
  assert.equal(counts.slice().sort(), [1, 1, 2]);
});

test('a window in its source chain (collection at parallelism 1): one span per record, and the firing still links it', async () => {
  spans.reset();
  const counts = await runTracedClickJob(true);
  const all = spans.getFinishedSpans();
  const sends = all.filter((s) => s.name.endsWith(' send'));
  assert.is(sends.length, clicks.length);
  assert.ok(sends[0]!.name.includes('window-aggregate'), `one chain from the source through the window (${sends[0]!.name})`);
  assert.equal(all.filter((s) => s.name.endsWith(' process')).map((s) => s.name), [], 'no hop, no process span');
  const linked = new Set(all.filter((s) => s.name.startsWith('window fire')).flatMap((f) => f.links.map((l) => l.context.traceId)));
  assert.ok(linked.has(sends[0]!.spanContext().traceId), 'the firing links the first record');
  assert.equal(counts.slice().sort(), [1, 1, 2]);
});

test('sampling 0 creates no spans at all', async () => {
  spans.reset();
  const env = StreamEnvironment.create();
  const sink = new CollectSink<number>();
  env.fromCollection([1, 2, 3]).map((x) => x * 2).sinkTo(sink);
  await env.execute('untraced');
  assert.equal(spans.getFinishedSpans().map((s) => s.name), []);
});

/** The data points of an instrument in a collection, by attributes. */
function points(collected: MetricData[], name: string): Array<{ operator: string; value: number }> {
  const m = collected.find((d) => d.descriptor.name === name);
  return (m?.dataPoints ?? []).map((p) => ({ operator: String(p.attributes['weir.operator']), value: p.value as number }));
}

test('the metrics reader sees mailbox depth and back-pressured time rise when the sink is slow', async () => {
  let writes = 0;
  let release!: () => void;
  const sampled = new Promise<void>((r) => (release = r));
  let snapshot: MetricData[] = [];
  // A sink that takes a while per batch; after a few batches the test collects metrics while the job runs.
  const slow: Sink<number> = {
    name: 'slow',
    createWriter: () => ({
      open() {},
      async write() {
        writes++;
        if (writes === 20) {
          const { resourceMetrics } = await reader.collect();
          snapshot = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
          release();
        }
        await new Promise<void>((r) => setTimeout(r, 2));
      },
      close() {},
    }),
  };
  const env = StreamEnvironment.create({ batchSize: 64, channelCapacity: 4 });
  env.fromGenerator((i) => i, { count: 64 * 60 }).map((x) => x + 1).disableChaining().sinkTo(slow).disableChaining();
  await Promise.all([env.execute('slow-sink'), sampled]);
  const depth = points(snapshot, 'weir.mailbox.depth');
  const pressure = points(snapshot, 'weir.backpressure.time');
  const recordsIn = points(snapshot, 'weir.records.in');
  assert.ok(depth.some((p) => p.operator === 'slow' && p.value > 0), `the slow sink's mailbox filled: ${JSON.stringify(depth)}`);
  assert.ok(pressure.some((p) => p.operator !== 'slow' && p.value > 0), `upstream waited for credit: ${JSON.stringify(pressure)}`);
  assert.ok(recordsIn.some((p) => p.operator === 'slow' && p.value >= 64 * 19), `records in counted: ${JSON.stringify(recordsIn)}`);
});

test.run();
