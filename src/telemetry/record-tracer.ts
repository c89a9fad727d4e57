import { trace, ROOT_CONTEXT, SpanKind, type Attributes, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import { parentFromTraceparent, traceparentOf } from './trace-context.ts';

/**
 * Trace entries of a batch: [index in the batch, W3C traceparent] for each sampled record, by
 * index. An empty traceparent marks a record sampled at this source that has no span yet.
 */
export type TraceEntries = Array<[number, string]>;

/** Span names and attributes of one chain subtask, made once (frozen, shared by its spans). */
export interface HopNames {
  send: string;
  process: string;
  sendAttributes: Attributes;
  processAttributes: Attributes;
  /** Start options of the hop spans, made once rather than per span. */
  sendOptions: SpanOptions;
  processOptions: SpanOptions;
}

/** The spans of one actor hop, open while its chain processes a batch. */
export interface Hop {
  spans: Span[];
  /** Where the sampled records are in the batch the chain is at now; their traceparent is the hop's span. */
  entries: TraceEntries;
}

const RECENT_TRACES = 16;

/**
 * Follows sampled records through the job (messaging semantic conventions): a source samples
 * one record in `1 / sampleRate`; every actor a sampled record passes opens ONE span for it
 * around its whole fused chain (`<chain> send` at the source, a producer span; `<chain> process`
 * downstream, a consumer span, child of the previous hop), whose context travels with the record
 * in its batch entry (and, over NATS, in the `traceparent` header). One span per actor hop rather
 * than per operator keeps tracing at 1/1000 within a few percent of no tracing at millions of
 * records per second (an SDK span costs microseconds). Nothing runs per record unless a batch
 * carries entries; with rate 0 no tracer exists at all.
 */
export class RecordTracer {
  private readonly tracer: Tracer;
  private readonly period: number;
  private countdown: number;
  /** The last {@link RECENT_TRACES} traces started at a source (traceparent, chain), for status views' trace links. */
  private readonly recent: Array<{ traceparent: string; operator: string }> = [];
  private recentNext = 0;

  constructor(
    private readonly job: string,
    sampleRate: number,
  ) {
    if (!(sampleRate > 0 && sampleRate <= 1)) throw new RangeError(`traceSampleRate must be in (0, 1], got ${sampleRate}`);
    this.tracer = trace.getTracer('weir');
    this.period = Math.max(1, Math.round(1 / sampleRate));
    this.countdown = 1;
  }

  /** Samples records of a source batch of `n`; returns their entries (no span yet), or undefined when none was sampled. */
  sample(n: number): TraceEntries | undefined {
    if (this.countdown > n) {
      this.countdown -= n;
      return undefined;
    }
    const entries: TraceEntries = [];
    let i = this.countdown - 1;
    for (; i < n; i += this.period) entries.push([i, '']);
    this.countdown = i - n + 1;
    return entries;
  }

  /** Span names and attributes for the hops of chain `name`, subtask `subtask`. */
  names(name: string, subtask: number): HopNames {
    // Frozen: a tracer provider may then share them among spans instead of copying them per span.
    const attributes = (operation: string): Attributes => Object.freeze({ 'messaging.system': 'weir', 'messaging.operation.type': operation, 'messaging.destination.name': name, 'weir.job': this.job, 'weir.subtask': subtask });
    const sendAttributes = attributes('send');
    const processAttributes = attributes('process');
    return {
      send: `${name} send`,
      process: `${name} process`,
      sendAttributes,
      processAttributes,
      sendOptions: Object.freeze({ kind: SpanKind.PRODUCER, attributes: sendAttributes }),
      processOptions: Object.freeze({ kind: SpanKind.CONSUMER, attributes: processAttributes }),
    };
  }

  /** Opens the hop span of each traced record entering a chain; close them with {@link RecordTracer.close}. */
  open(entries: TraceEntries, names: HopNames): Hop {
    const spans: Span[] = [];
    const next: TraceEntries = [];
    for (const [i, tp] of entries) {
      const span =
        tp === ''
          ? // A record's trace starts at its source: a root, whatever context the actor happens to run in.
            this.tracer.startSpan(names.send, names.sendOptions, ROOT_CONTEXT)
          : this.tracer.startSpan(names.process, names.processOptions, parentFromTraceparent(tp));
      spans.push(span);
      const traceparent = traceparentOf(span);
      next.push([i, traceparent]);
      // Only sampled records get here; a fixed ring keeps the newest few.
      if (tp === '') this.recent[this.recentNext++ % RECENT_TRACES] = { traceparent, operator: names.send };
    }
    return { spans, entries: next };
  }

  /** The newest traces started at sources, newest first. */
  recentTraces(): Array<{ traceparent: string; operator: string }> {
    const out: Array<{ traceparent: string; operator: string }> = [];
    for (let k = 1; k <= Math.min(this.recentNext, RECENT_TRACES); k++) out.push(this.recent[(this.recentNext - k) % RECENT_TRACES]!);
    return out;
  }

  /** Ends the hop's spans. */
  close(hop: Hop): void {
    for (const s of hop.spans) s.end();
  }

  /** Where traced records went through an operator: `hits` pairs (input index, output index). */
  static follow(entries: TraceEntries, hits: number[]): TraceEntries | undefined {
    if (hits.length === 0) return undefined;
    const next: TraceEntries = [];
    // Both are in ascending input order: one merge walk (a search per hit was quadratic at high sampling rates).
    let e = 0;
    for (let h = 0; h < hits.length; h += 2) {
      const input = hits[h]!;
      while (e < entries.length && entries[e]![0] < input) e++;
      if (e < entries.length && entries[e]![0] === input) next.push([hits[h + 1]!, entries[e]![1]]);
    }
    return next;
  }
}
