import { trace, ROOT_CONTEXT, type Context, type SpanContext, type Span, TraceFlags } from '@opentelemetry/api';
import { ForwardedSpan } from './forwarded-span.ts';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** W3C `traceparent` of a span (what a sampled record carries in its batch entry and NATS header). */
export function traceparentOf(span: Span): string {
  if (span instanceof ForwardedSpan) return span.traceparent();
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-${(c.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? '01' : '00'}`;
}

/** The remote span context a `traceparent` names, or undefined when malformed. */
export function contextFromTraceparent(traceparent: string): SpanContext | undefined {
  const m = TRACEPARENT.exec(traceparent);
  if (!m) return undefined;
  return { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16), isRemote: true };
}

/** A context whose active span is the remote one a `traceparent` names (a parent for child spans). */
export function parentFromTraceparent(traceparent: string): Context | undefined {
  const sc = contextFromTraceparent(traceparent);
  return sc ? trace.setSpanContext(ROOT_CONTEXT, sc) : undefined;
}
