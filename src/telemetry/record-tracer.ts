import { trace, SpanKind, type Span, type Tracer } from '@opentelemetry/api';
import { parentFromTraceparent, traceparentOf } from './trace-context.ts';

/** Trace entries of a batch: [index in the batch, W3C traceparent] for each sampled record, by index. */
export type TraceEntries = Array<[number, string]>;

/**
 * Follows sampled records through the job (messaging semantic conventions): a source samples
 * one record in `1 / sampleRate` and opens a producer span for it; every operator a sampled
 * record passes opens a process span, child of the previous one, whose context travels with the
 * record in its batch entry (and, over NATS, in the `traceparent` header). Nothing runs per
 * record unless a batch carries entries; with rate 0 no tracer exists at all.
 */
export class RecordTracer {
  private readonly tracer: Tracer;
  private readonly period: number;
  private countdown: number;

  constructor(
    private readonly job: string,
    sampleRate: number,
  ) {
    if (!(sampleRate > 0 && sampleRate <= 1)) throw new RangeError(`traceSampleRate must be in (0, 1], got ${sampleRate}`);
    this.tracer = trace.getTracer('weir');
    this.period = Math.max(1, Math.round(1 / sampleRate));
    this.countdown = 1;
  }

  /** Samples records of a source batch of `n`; returns their entries, or undefined when none was sampled. */
  sample(n: number, operator: string, subtask: number): TraceEntries | undefined {
    if (this.countdown > n) {
      this.countdown -= n;
      return undefined;
    }
    const entries: TraceEntries = [];
    let i = this.countdown - 1;
    for (; i < n; i += this.period) {
      const span = this.tracer.startSpan(`${operator} send`, { kind: SpanKind.PRODUCER, attributes: this.attributes(operator, subtask, 'send') });
      span.end();
      entries.push([i, traceparentOf(span)]);
    }
    this.countdown = i - n + 1;
    return entries;
  }

  /** Opens a process span per traced record entering `operator`; end them with {@link RecordTracer.end}. */
  begin(entries: TraceEntries, operator: string, subtask: number): Span[] {
    const spans: Span[] = [];
    for (const [, tp] of entries) spans.push(this.tracer.startSpan(`${operator} process`, { kind: SpanKind.CONSUMER, attributes: this.attributes(operator, subtask, 'process') }, parentFromTraceparent(tp)));
    return spans;
  }

  /** Ends the spans; `hits` pairs (input index, output index) say where each traced record went. */
  follow(spans: Span[], entries: TraceEntries, hits: number[]): TraceEntries | undefined {
    for (const s of spans) s.end();
    if (hits.length === 0) return undefined;
    const next: TraceEntries = [];
    for (let h = 0; h < hits.length; h += 2) {
      const k = entries.findIndex((e) => e[0] === hits[h]);
      if (k >= 0) next.push([hits[h + 1]!, traceparentOf(spans[k]!)]);
    }
    return next;
  }

  /** Ends the spans and returns the entries that continue downstream: output index ← input index via `origin`. */
  end(spans: Span[], entries: TraceEntries, origin: ((outIndex: number) => number) | 'same' | undefined, outputs: number): TraceEntries | undefined {
    for (const s of spans) s.end();
    if (origin === undefined) return undefined;
    if (origin === 'same') return entries.map(([i], k) => [i, traceparentOf(spans[k]!)] as [number, string]);
    const byInput = new Map<number, string>();
    entries.forEach(([i], k) => byInput.set(i, traceparentOf(spans[k]!)));
    const next: TraceEntries = [];
    for (let o = 0; o < outputs; o++) {
      const tp = byInput.get(origin(o));
      if (tp !== undefined) next.push([o, tp]);
    }
    return next.length > 0 ? next : undefined;
  }

  private attributes(operator: string, subtask: number, operation: string) {
    return { 'messaging.system': 'weir', 'messaging.operation.type': operation, 'messaging.destination.name': operator, 'weir.job': this.job, 'weir.operator': operator, 'weir.subtask': subtask };
  }
}
