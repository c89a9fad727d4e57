import { metrics, type Attributes, type ObservableResult } from '@opentelemetry/api';
import type { JobMetrics } from '../runtime/job.ts';
import type { InspectionBus } from '../runtime/inspection.ts';

const METER = 'weir';

/**
 * Publishes a running job's figures through the OpenTelemetry metrics API. Per-actor counters
 * are read when the SDK collects (observable instruments, one batch callback), so the hot path
 * does nothing for metrics; lifecycle figures (checkpoints, restarts, dead letters) come from the
 * inspection bus. Without an SDK the API is a no-op and so is this.
 *
 * Instruments (attributes `weir.job`, `weir.operator`, `weir.subtask`):
 * `weir.records.in` / `weir.records.out` (counters), `weir.mailbox.depth` (envelopes waiting),
 * `weir.busy.time` / `weir.backpressure.time` (ms, counters: rate = share of each second),
 * `weir.watermark.lag` (ms behind the wall clock), `weir.checkpoint.duration` (ms) and
 * `weir.checkpoint.size` (bytes) histograms, `weir.restarts` and `weir.dead_letters` counters.
 * Over NATS, channels will add `weir.nats.bytes` and `weir.nats.frames` here.
 */
export function instrumentJob(job: string, figures: () => JobMetrics, inspection: InspectionBus, now: () => number): () => void {
  const meter = metrics.getMeter(METER);
  const recordsIn = meter.createObservableCounter('weir.records.in', { description: 'records an operator took in' });
  const recordsOut = meter.createObservableCounter('weir.records.out', { description: 'records an operator sent on' });
  const mailbox = meter.createObservableGauge('weir.mailbox.depth', { description: 'envelopes waiting in the input channels of an actor' });
  const busy = meter.createObservableCounter('weir.busy.time', { description: 'time an actor spent processing', unit: 'ms' });
  const backpressure = meter.createObservableCounter('weir.backpressure.time', { description: 'time an actor waited for downstream credit', unit: 'ms' });
  const lag = meter.createObservableGauge('weir.watermark.lag', { description: 'how far an operator\u2019s watermark is behind the wall clock', unit: 'ms' });
  const observe = (result: { observe(instrument: unknown, value: number, attributes?: Attributes): void }) => {
    const wall = now();
    for (const a of figures().actors) {
      const attrs = { 'weir.job': job, 'weir.operator': a.operator, 'weir.subtask': a.subtask };
      result.observe(recordsIn, a.recordsIn, attrs);
      result.observe(recordsOut, a.recordsOut, attrs);
      result.observe(mailbox, a.mailboxDepth, attrs);
      result.observe(busy, Math.round(a.busyMs), attrs);
      result.observe(backpressure, Math.round(a.backpressuredMs), attrs);
      if (Number.isFinite(a.watermark)) result.observe(lag, Math.max(0, wall - a.watermark), attrs);
    }
  };
  const callback = observe as unknown as Parameters<typeof meter.addBatchObservableCallback>[0];
  const observables = [recordsIn, recordsOut, mailbox, busy, backpressure, lag];
  meter.addBatchObservableCallback(callback, observables);

  const duration = meter.createHistogram('weir.checkpoint.duration', { description: 'checkpoint duration', unit: 'ms' });
  const size = meter.createHistogram('weir.checkpoint.size', { description: 'checkpoint size', unit: 'By' });
  const restarts = meter.createCounter('weir.restarts', { description: 'actor restarts (one-actor recovery) and job restarts' });
  const deadLetters = meter.createCounter('weir.dead_letters', { description: 'records and frames sent to dead letters' });
  const off = inspection.subscribe((e) => {
    switch (e.type) {
      case 'checkpoint.completed':
        duration.record(e.durationMs, { 'weir.job': job });
        size.record(e.bytes, { 'weir.job': job });
        break;
      case 'actor.restarted':
        restarts.add(1, { 'weir.job': job, 'weir.operator': e.actor, 'weir.subtask': e.subtask, 'weir.restart.scope': 'actor' });
        break;
      case 'job.restarted':
        restarts.add(1, { 'weir.job': job, 'weir.restart.scope': 'job' });
        break;
      case 'deadLetter':
        deadLetters.add(1, { 'weir.job': job, 'weir.operator': e.letter.operator, 'weir.error.code': e.letter.code });
        break;
    }
  });
  return () => {
    off();
    meter.removeBatchObservableCallback(callback, observables);
  };
}

/** The observable result type, re-exported for tests that read instruments directly. */
export type { ObservableResult };
