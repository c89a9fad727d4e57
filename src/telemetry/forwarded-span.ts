import { SpanStatusCode, type Attributes, type AttributeValue, type Exception, type Link, type Span, type SpanContext, type SpanKind, type SpanStatus, type TimeInput, type TraceState } from '@opentelemetry/api';
import { ID_BYTES, N, NUM_STRIDE, PARENT_ID_AT, SPAN_ID_AT, TRACE_ID_AT, type SpanBatch, type WireTables } from './span-wire.ts';

/** Where an ended span goes: the forwarding provider's bounded queue. */
export interface SpanQueue {
  enqueue(span: ForwardedSpan): void;
}

/** Value of each hex digit's char code (lower and upper case). */
const HEX = new Uint8Array(128);
for (let i = 0; i < 16; i++) {
  HEX['0123456789abcdef'.charCodeAt(i)] = i;
  HEX['0123456789ABCDEF'.charCodeAt(i)] = i;
}

/** Writes the bytes of the hex id `hex` into `out` at `at`. */
function writeHex(out: Uint8Array, at: number, hex: string): void {
  for (let i = 0; i < hex.length; i += 2) out[at + (i >> 1)] = (HEX[hex.charCodeAt(i)]! << 4) | HEX[hex.charCodeAt(i + 1)]!;
}

/** Attribute objects already checked to hold only valid values; frozen ones are then used by reference. */
const checked = new WeakSet<object>();
let lastChecked: Attributes | undefined;

function isValue(v: unknown): v is AttributeValue {
  const t = typeof v;
  if (t === 'string' || t === 'number' || t === 'boolean') return true;
  return Array.isArray(v) && v.every((x) => x == null || typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean');
}

/** Valid attributes of `a` (as the SDK keeps them): `a` itself when frozen and valid, else a copy of the valid entries. */
export function adoptAttributes(a: Attributes | undefined): Attributes {
  if (a === undefined) return {};
  // Most spans reuse one frozen object (a chain's hop attributes): the last one checked is a cheaper test than the WeakSet.
  if (a === lastChecked || checked.has(a)) return (lastChecked = a);
  const copy: Attributes = {};
  let valid = true;
  for (const k in a) {
    const v = a[k];
    if (isValue(v)) copy[k] = Array.isArray(v) ? v.slice() : v;
    else valid = false;
  }
  // A frozen, valid object cannot change under the span: share it (structured clone then copies it once per batch).
  if (valid && Object.isFrozen(a)) {
    checked.add(a);
    return a;
  }
  return copy;
}

/** Milliseconds on the `performance.now()` clock of a user-given time (epoch ms, HrTime, Date or performance ms, as the SDK reads them). */
export function toPerfMs(t: TimeInput): number {
  if (typeof t === 'number') return t < performance.timeOrigin ? t : t - performance.timeOrigin;
  if (t instanceof Date) return t.getTime() - performance.timeOrigin;
  return t[0] * 1e3 + t[1] / 1e6 - performance.timeOrigin;
}

/**
 * A span of the forwarding tracer provider: it only records (name, kind, ids, parent, times,
 * attributes, links, events, status) and, once ended, queues itself to be shipped to the tracing
 * worker, where the SDK makes it a ReadableSpan. Single-threaded; after `end` it ignores changes,
 * as SDK spans do.
 */
export class ForwardedSpan implements Span {
  private attributes: Attributes;
  /** `attributes` is shared (frozen); copy before writing. */
  private sharedAttributes: boolean;
  private links: unknown[] | 0 = 0;
  private events: unknown[] | 0 = 0;
  private statusCode: number = SpanStatusCode.UNSET;
  private statusMessage = '';
  private endTime = -1;
  private context: SpanContext | undefined;

  constructor(
    private readonly queue: SpanQueue,
    private readonly scope: number,
    private name: string,
    private readonly kind: SpanKind,
    /** The span's id bytes (trace id, then span id: see `SpanIds.take`) at `idsAt`. */
    private readonly ids: Buffer,
    private readonly idsAt: number,
    /** The trace id in hex when known already (the parent's), else made from the bytes when asked. */
    private traceIdHex: string | undefined,
    private readonly traceFlags: number,
    private readonly traceState: TraceState | undefined,
    private readonly parentSpanId: string,
    private readonly parentIsRemote: boolean,
    private readonly startTime: number,
    attributes: Attributes,
    links: Link[] | undefined,
  ) {
    this.attributes = attributes;
    this.sharedAttributes = Object.isFrozen(attributes);
    if (links !== undefined && links.length > 0) this.addLinks(links);
  }

  spanContext(): SpanContext {
    const at = this.idsAt;
    this.traceIdHex ??= this.ids.toString('hex', at, at + 16);
    return (this.context ??= { traceId: this.traceIdHex, spanId: this.ids.toString('hex', at + 16, at + 24), traceFlags: this.traceFlags, traceState: this.traceState });
  }

  /** The span's W3C `traceparent`, made from its id bytes in one hex conversion (no span context object). */
  traceparent(): string {
    const hex = this.ids.toString('hex', this.idsAt, this.idsAt + 24);
    return `00-${hex.slice(0, 32)}-${hex.slice(32)}-${(this.traceFlags & 1) === 1 ? '01' : '00'}`;
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (this.endTime >= 0 || !isValue(value)) return this;
    if (this.sharedAttributes) {
      this.attributes = { ...this.attributes };
      this.sharedAttributes = false;
    }
    this.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const k in attributes) this.setAttribute(k, attributes[k]!);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.endTime >= 0) return this;
    let attributes: Attributes | undefined;
    if (attributesOrTime !== undefined && (typeof attributesOrTime === 'number' || Array.isArray(attributesOrTime) || attributesOrTime instanceof Date)) time = attributesOrTime;
    else attributes = attributesOrTime as Attributes | undefined;
    const events = (this.events ||= []);
    events.push(name, time === undefined ? performance.now() : toPerfMs(time), attributes ? adoptAttributes(attributes) : 0);
    return this;
  }

  addLink(link: Link): this {
    if (this.endTime >= 0) return this;
    const links = (this.links ||= []);
    const c = link.context;
    links.push(c.traceId, c.spanId, c.traceFlags, c.isRemote === true, link.attributes ? adoptAttributes(link.attributes) : 0);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const l of links) this.addLink(l);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.endTime >= 0) return this;
    // As the SDK: OK is final; UNSET never overrides.
    if (this.statusCode === SpanStatusCode.OK || status.code === SpanStatusCode.UNSET) return this;
    this.statusCode = status.code;
    this.statusMessage = status.code === SpanStatusCode.ERROR && typeof status.message === 'string' ? status.message : '';
    return this;
  }

  updateName(name: string): this {
    if (this.endTime < 0) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.endTime >= 0) return;
    const end = endTime === undefined ? performance.now() : toPerfMs(endTime);
    this.endTime = end < this.startTime ? this.startTime : end;
    this.queue.enqueue(this);
  }

  isRecording(): boolean {
    return this.endTime < 0;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else {
      const e = exception as { code?: string | number; name?: string; message?: string; stack?: string };
      if (e.code !== undefined) attributes['exception.type'] = String(e.code);
      else if (e.name !== undefined) attributes['exception.type'] = e.name;
      if (e.message !== undefined) attributes['exception.message'] = e.message;
      if (e.stack !== undefined) attributes['exception.stacktrace'] = e.stack;
    }
    this.addEvent('exception', attributes, time);
  }

  /** Appends the span as span `i` of a batch (see {@link SpanBatch}). */
  writeTo(batch: SpanBatch, i: number, tables: WireTables): void {
    const nums = batch.nums;
    const o = i * NUM_STRIDE;
    nums[o + N.TraceFlags] = this.traceFlags;
    nums[o + N.ParentIsRemote] = this.parentIsRemote ? 1 : 0;
    nums[o + N.Kind] = this.kind;
    nums[o + N.Start] = this.startTime;
    nums[o + N.End] = this.endTime;
    nums[o + N.StatusCode] = this.statusCode;
    nums[o + N.Scope] = this.scope;
    const at = i * ID_BYTES;
    // The id bytes are copied from the pool (trace id, then span id), not parsed from hex.
    const ids = batch.ids;
    const from = this.idsAt;
    for (let b = 0; b < 16; b++) ids[at + TRACE_ID_AT + b] = this.ids[from + b]!;
    for (let b = 0; b < 8; b++) ids[at + SPAN_ID_AT + b] = this.ids[from + 16 + b]!;
    if (this.parentSpanId !== '') writeHex(batch.ids, at + PARENT_ID_AT, this.parentSpanId);
    nums[o + N.Name] = tables.nameId(batch, this.name);
    nums[o + N.Attributes] = tables.attributesId(batch, this.attributes);
    if (this.links !== 0 || this.events !== 0 || this.statusMessage !== '' || this.traceState !== undefined) {
      batch.extras.push(i, this.links, this.events, this.statusMessage, this.traceState ? this.traceState.serialize() : '');
    }
  }
}
