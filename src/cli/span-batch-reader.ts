import type { Attributes, HrTime, Link, SpanContext } from '@opentelemetry/api';
import { addHrTimes, hrTimeDuration, millisToHrTime, TraceState, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { EVENT_STRIDE, EXTRA_STRIDE, ID_BYTES, LINK_STRIDE, N, NUM_STRIDE, PARENT_ID_AT, SPAN_ID_AT, TRACE_ID_AT, type SpanBatch, type WireScope } from '../telemetry/span-wire.ts';

/**
 * Turns the span batches the forwarding provider ships (see span-wire.ts) back into the SDK's
 * ReadableSpans, in the tracing worker: times are moved onto the epoch with the main thread's
 * time origin, every span gets the worker's resource and its instrumentation scope.
 */
export class SpanBatchReader {
  private readonly origin: HrTime;
  private readonly scopeCache = new Map<string, InstrumentationScope>();

  constructor(
    timeOrigin: number,
    private readonly resource: Resource,
  ) {
    this.origin = millisToHrTime(timeOrigin);
  }

  /** Calls `each` with every span of `batch`, in order. */
  read(batch: SpanBatch, each: (span: ReadableSpan) => void): void {
    const scopes = this.scopesOf(batch.scopes);
    const ids = Buffer.from(batch.ids.buffer, batch.ids.byteOffset, batch.ids.byteLength);
    let next = 0; // the next entry of batch.extras (they are in span order)
    for (let i = 0; i < batch.count; i++) {
      const extra = next < batch.extras.length && batch.extras[next] === i ? next : -1;
      if (extra >= 0) next += EXTRA_STRIDE;
      each(this.readable(batch, ids, i, extra, scopes));
    }
  }

  private time(ms: number): HrTime {
    return addHrTimes(this.origin, millisToHrTime(ms));
  }

  private links(flat: unknown[] | 0): Link[] {
    const out: Link[] = [];
    if (flat === 0) return out;
    for (let i = 0; i < flat.length; i += LINK_STRIDE) {
      const context: SpanContext = { traceId: flat[i] as string, spanId: flat[i + 1] as string, traceFlags: flat[i + 2] as number, isRemote: flat[i + 3] as boolean };
      const attributes = flat[i + 4];
      out.push(attributes === 0 ? { context } : { context, attributes: attributes as Attributes });
    }
    return out;
  }

  private events(flat: unknown[] | 0): TimedEvent[] {
    const out: TimedEvent[] = [];
    if (flat === 0) return out;
    for (let i = 0; i < flat.length; i += EVENT_STRIDE) {
      const attributes = flat[i + 2];
      out.push({ name: flat[i] as string, time: this.time(flat[i + 1] as number), ...(attributes === 0 ? {} : { attributes: attributes as Attributes }), droppedAttributesCount: 0 });
    }
    return out;
  }

  /** The ReadableSpan of span `i` of a batch; `extra` is its entry in `batch.extras` or -1. */
  private readable(batch: SpanBatch, ids: Buffer, i: number, extra: number, scopes: InstrumentationScope[]): ReadableSpan {
    const nums = batch.nums;
    const o = i * NUM_STRIDE;
    const at = i * ID_BYTES;
    const x = batch.extras;
    const traceState = extra < 0 ? '' : (x[extra + 4] as string);
    const message = extra < 0 ? '' : (x[extra + 3] as string);
    const ctx: SpanContext = { traceId: ids.toString('hex', at + TRACE_ID_AT, at + TRACE_ID_AT + 16), spanId: ids.toString('hex', at + SPAN_ID_AT, at + SPAN_ID_AT + 8), traceFlags: nums[o + N.TraceFlags]!, ...(traceState ? { traceState: new TraceState(traceState) } : {}) };
    const parentSpanId = ids.readBigUInt64BE(at + PARENT_ID_AT) === 0n ? '' : ids.toString('hex', at + PARENT_ID_AT, at + PARENT_ID_AT + 8);
    const startTime = this.time(nums[o + N.Start]!);
    const endTime = this.time(nums[o + N.End]!);
    const code = nums[o + N.StatusCode]!;
    return {
      name: batch.names[nums[o + N.Name]!]!,
      kind: nums[o + N.Kind]!,
      spanContext: () => ctx,
      parentSpanContext: parentSpanId === '' ? undefined : { traceId: ctx.traceId, spanId: parentSpanId, traceFlags: ctx.traceFlags, isRemote: nums[o + N.ParentIsRemote] === 1, ...(ctx.traceState ? { traceState: ctx.traceState } : {}) },
      startTime,
      endTime,
      duration: hrTimeDuration(startTime, endTime),
      status: message === '' ? { code } : { code, message },
      attributes: batch.attributes[nums[o + N.Attributes]!]!,
      links: this.links(extra < 0 ? 0 : (x[extra + 1] as unknown[] | 0)),
      events: this.events(extra < 0 ? 0 : (x[extra + 2] as unknown[] | 0)),
      ended: true,
      resource: this.resource,
      instrumentationScope: scopes[nums[o + N.Scope]!]!,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    };
  }

  private scopesOf(wire: WireScope[]): InstrumentationScope[] {
    return wire.map(([name, version, schemaUrl]) => {
      const key = `${name}@${version}:${schemaUrl}`;
      let s = this.scopeCache.get(key);
      if (s === undefined) this.scopeCache.set(key, (s = { name, ...(version ? { version } : {}), ...(schemaUrl ? { schemaUrl } : {}) }));
      return s;
    });
  }
}
