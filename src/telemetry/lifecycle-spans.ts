import { trace, SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { InspectionBus } from '../runtime/inspection.ts';
import { contextFromTraceparent } from './trace-context.ts';

/**
 * Turns lifecycle events into spans: a checkpoint span from trigger to completion (size,
 * duration) or abort (error status), one span per actor restart (cause, attempt, replayed
 * inputs), per job restart, per dead letter (reason, code) and per window firing, linked to the
 * sampled records that fed the window.
 */
export function traceLifecycle(job: string, inspection: InspectionBus): () => void {
  const tracer = trace.getTracer('weir');
  const checkpoints = new Map<number, Span>();
  const instant = (name: string, attributes: Record<string, string | number | boolean>, error?: string) => {
    const span = tracer.startSpan(name, { attributes: { 'weir.job': job, ...attributes } });
    if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    span.end();
  };
  const off = inspection.subscribe((e) => {
    switch (e.type) {
      case 'checkpoint.started':
        checkpoints.set(e.checkpointId, tracer.startSpan(`checkpoint ${e.checkpointId}`, { attributes: { 'weir.job': job, 'weir.checkpoint.id': e.checkpointId, 'weir.checkpoint.savepoint': e.savepoint } }));
        break;
      case 'checkpoint.completed': {
        const span = checkpoints.get(e.checkpointId);
        span?.setAttributes({ 'weir.checkpoint.bytes': e.bytes, 'weir.checkpoint.duration_ms': e.durationMs });
        span?.end();
        checkpoints.delete(e.checkpointId);
        break;
      }
      case 'checkpoint.aborted': {
        const span = checkpoints.get(e.checkpointId);
        span?.setStatus({ code: SpanStatusCode.ERROR, message: e.reason });
        span?.end();
        checkpoints.delete(e.checkpointId);
        break;
      }
      case 'actor.restarted':
        instant(`restart ${e.actor}`, { 'weir.operator': e.actor, 'weir.subtask': e.subtask, 'weir.restart.attempt': e.attempt, 'weir.restart.replayed': e.replayed, 'weir.restart.backoff_ms': e.backoffMs });
        break;
      case 'actor.failed':
        instant(`failure ${e.actor}`, { 'weir.operator': e.actor, 'weir.subtask': e.subtask, 'weir.restart.attempt': e.attempt }, e.error instanceof Error ? e.error.message : String(e.error));
        break;
      case 'job.restarted':
        instant(`job restart ${job}`, { 'weir.restart.attempt': e.attempt, 'weir.checkpoint.id': e.checkpointId }, e.cause instanceof Error ? e.cause.message : String(e.cause));
        break;
      case 'deadLetter':
        instant(`dead letter ${e.letter.operator}`, { 'weir.operator': e.letter.operator, 'weir.subtask': e.letter.subtask, 'weir.error.code': e.letter.code, 'weir.dead_letter.reason': e.letter.reason });
        break;
      case 'window.fired': {
        const links = e.links.map((tp) => contextFromTraceparent(tp)).filter((c) => c !== undefined).map((c) => ({ context: c }));
        const span = tracer.startSpan(`window fire ${e.actor}`, { kind: SpanKind.INTERNAL, links, attributes: { 'weir.job': job, 'weir.operator': e.actor, 'weir.subtask': e.subtask, 'weir.window.start': e.start, 'weir.window.end': e.end } });
        span.end();
        break;
      }
    }
  });
  return () => {
    off();
    for (const span of checkpoints.values()) span.end();
    checkpoints.clear();
  };
}
