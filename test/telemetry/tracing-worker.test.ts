import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { StreamEnvironment, CollectSink, startTracingWorker, TracingWorkerError, type TracingWorkerOptions } from '../../src/index.ts';
import type { ExportedSpan } from './fixtures/memory-exporter.ts';
import { clicks, runTracedClickJob } from './fixtures/traced-click-job.ts';

// The real SDK (BatchSpanProcessor + InMemorySpanExporter) runs in the worker; the exporter writes what it got to a file this thread reads.
const dir = mkdtempSync(join(tmpdir(), 'weir-tracing-worker-'));
let n = 0;
function start(options: TracingWorkerOptions = {}, exporterOptions: { gate?: string } = {}) {
  const path = join(dir, `spans-${n++}.jsonl`);
  const worker = startTracingWorker({ exporter: { module: new URL('./fixtures/memory-exporter.ts', import.meta.url).href, options: { path, ...exporterOptions } }, ...options });
  const exported = (): ExportedSpan[] => (existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ExportedSpan) : []);
  return { worker, exported };
}

test('a sampled record through source → map → keyBy → window → sink makes one connected trace through the worker, and the window firing links it', async () => {
  const { worker, exported } = start({ resource: { 'weir.node': 'n1' } });
  const counts = await runTracedClickJob();
  const stats = await worker.shutdown();
  const all = exported();
  assert.is(stats.exported, all.length, 'the worker counted what the exporter got');
  assert.is(stats.dropped, 0);
  const sends = all.filter((s) => s.name.endsWith(' send'));
  assert.is(sends.length, clicks.length, 'every record sampled at rate 1');
  const first = sends.find((s) => s.name.startsWith('collection'))!;
  assert.is(first.kind, SpanKind.PRODUCER);
  assert.is(first.parentSpanId, undefined, 'the send span starts the trace');
  const ofTrace = all.filter((s) => s.traceId === first.traceId);
  const processes = ofTrace.filter((s) => s.name.endsWith(' process'));
  assert.is(processes.length, 1, `one process span per actor hop after the source (${processes.map((s) => s.name).join(', ')})`);
  assert.is(processes[0]!.parentSpanId, first.spanId, 'the window hop is a child of the send span');
  assert.is(processes[0]!.kind, SpanKind.CONSUMER);
  assert.ok(processes[0]!.name.startsWith('window-aggregate'), processes[0]!.name);
  assert.is(ofTrace.length, 2, 'no span per operator inside a fused chain');
  assert.is(processes[0]!.attributes['messaging.system'], 'weir');
  assert.is(processes[0]!.attributes['weir.job'], 'traced');
  assert.ok(processes[0]!.startMs >= first.startMs && processes[0]!.endMs >= processes[0]!.startMs, 'times survive the trip');
  assert.is(first.resource['service.name'], 'weir');
  assert.is(first.resource['weir.node'], 'n1');
  assert.is(first.scope, 'weir');
  const fires = all.filter((s) => s.name.startsWith('window fire'));
  assert.ok(fires.length >= 1, 'a window firing span');
  const links = fires.flatMap((f) => f.links);
  assert.ok(links.some((l) => l.traceId === first.traceId), 'the firing links the first record');
  assert.ok(links.every((l) => all.some((s) => s.traceId === l.traceId && s.spanId === l.spanId)), 'every link names an exported span');
  assert.equal(counts.slice().sort(), [1, 1, 2]);
});

test('attributes, events, links, status, kind and parentage survive the trip to the worker', async () => {
  const { worker, exported } = start({ register: false });
  const tracer = worker.provider.getTracer('checks', '1.2.3');
  const parent = tracer.startSpan('parent', { kind: SpanKind.SERVER, attributes: { a: 'x', n: 3, list: [1, 2], bad: undefined } });
  const child = tracer.startSpan('child', { links: [{ context: parent.spanContext(), attributes: { why: 'batch' } }] }, trace.setSpan(context.active(), parent));
  child.setAttribute('late', true);
  child.setAttributes({ more: 'yes' });
  child.addEvent('checkpoint', { id: 7 });
  child.recordException(new Error('boom'));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'it failed' });
  child.updateName('child renamed');
  child.end();
  child.setAttribute('after-end', 1);
  parent.setStatus({ code: SpanStatusCode.OK });
  parent.end();
  const stats = await worker.shutdown();
  assert.is(stats.exported, 2);
  const spans = exported();
  const p = spans.find((s) => s.name === 'parent')!;
  const c = spans.find((s) => s.name === 'child renamed')!;
  assert.equal(p.attributes, { a: 'x', n: 3, list: [1, 2] });
  assert.is(p.kind, SpanKind.SERVER);
  assert.equal(p.status, { code: SpanStatusCode.OK });
  assert.is(c.traceId, p.traceId);
  assert.is(c.parentSpanId, p.spanId);
  assert.equal(c.attributes, { late: true, more: 'yes' });
  assert.equal(c.links, [{ traceId: p.traceId, spanId: p.spanId, attributes: { why: 'batch' } }]);
  assert.equal(c.events.map((e) => e.name), ['checkpoint', 'exception']);
  assert.equal(c.events[0]!.attributes, { id: 7 });
  assert.is(c.events[1]!.attributes!['exception.message'], 'boom');
  assert.equal(c.status, { code: SpanStatusCode.ERROR, message: 'it failed' });
  assert.is(c.scope, 'checks');
  assert.match(c.spanId, /^[0-9a-f]{16}$/);
  assert.match(c.traceId, /^[0-9a-f]{32}$/);
});

test('shutdown exports every span still queued on the main thread or in the worker', async () => {
  // A long processor delay: only the shutdown can get these spans out.
  const { worker, exported } = start({ register: false, scheduledDelayMillis: 60_000 });
  const tracer = worker.provider.getTracer('t');
  for (let i = 0; i < 1000; i++) tracer.startSpan(`s${i}`).end();
  const stats = await worker.shutdown();
  assert.is(stats.ended, 1000);
  assert.is(stats.exported, 1000);
  assert.is(new Set(exported().map((s) => s.name)).size, 1000);
  assert.not.ok(tracer.startSpan('after').isRecording(), 'spans after shutdown do not record');
});

test('a full queue drops and counts spans instead of growing', async () => {
  const gate = join(dir, 'gate');
  const { worker, exported } = start({ register: false, maxQueueSize: 100, maxExportBatchSize: 10 }, { gate });
  const tracer = worker.provider.getTracer('t');
  // The worker exports nothing before the gate opens, so everything past 100 queued or in flight is dropped.
  for (let i = 0; i < 1000; i++) tracer.startSpan('s').end();
  assert.equal(worker.stats(), { ended: 100, forwarded: 100, dropped: 900, exported: 0, failed: 0 });
  writeFileSync(gate, '');
  const stats = await worker.shutdown();
  assert.is(stats.exported, 100);
  assert.is(exported().length, 100);
});

test('sampling 0 creates no spans', async () => {
  const { worker, exported } = start();
  const env = StreamEnvironment.create();
  const sink = new CollectSink<number>();
  env.fromCollection([1, 2, 3]).map((x) => x * 2).sinkTo(sink);
  await env.execute('untraced');
  const stats = await worker.shutdown();
  assert.is(stats.ended, 0);
  assert.equal(exported(), []);
});

test('an exporter module that cannot be loaded fails flush and shutdown with a TracingWorkerError', async () => {
  const worker = startTracingWorker({ register: false, exporter: { module: new URL('./fixtures/no-such-exporter.ts', import.meta.url).href } });
  worker.provider.getTracer('t').startSpan('s').end();
  try {
    await worker.shutdown();
    assert.unreachable('shutdown should fail');
  } catch (error) {
    assert.instance(error, TracingWorkerError);
    assert.is((error as TracingWorkerError).code, 'WEIR_TRACING_WORKER');
    assert.match((error as Error).message, /cannot create the exporter/);
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
