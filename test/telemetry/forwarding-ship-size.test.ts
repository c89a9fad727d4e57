import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ForwardingTracerProvider } from '../../src/telemetry/forwarding-tracer-provider.ts';

// Issue 24: at 1 in 1000 on a busy machine, each message to the tracing worker (512 spans) cost
// the job's thread milliseconds (the worker it woke took its core). A large queue now ships a
// quarter of it per message; a small one still ships export-sized batches.

function shipments(maxQueueSize: number, spans: number): number[] {
  const sizes: number[] = [];
  const provider = new ForwardingTracerProvider((m) => {
    if (m.type === 'spans') sizes.push(m.count);
  }, new Int32Array(new SharedArrayBuffer(8)), { maxQueueSize, maxExportBatchSize: 512, scheduledDelayMillis: 60_000 });
  const tracer = provider.getTracer('ship-size');
  for (let i = 0; i < spans; i++) tracer.startSpan(`s${i % 3}`).end();
  provider.ship();
  return sizes;
}

test('a 65536-span queue ships 16384 spans per message to the worker', () => {
  assert.equal(shipments(65_536, 40_000), [16_384, 16_384, 7_232]);
});

test('a 2048-span queue (the default) ships export batches of 512', () => {
  assert.equal(shipments(2048, 1200), [512, 512, 176]);
});

test.run();
