import { Packr, Unpackr } from 'msgpackr';
import type { Envelope, RecordsEnvelope } from './envelope.ts';
import { BadFrameError } from '../errors.ts';
import { shapeRecords, unshapeRecords, type ShapedRecords } from './record-shapes.ts';

/**
 * Frame format version; a receiver rejects frames of another version (dead letter, channel goes on).
 * 3: a records envelope carries its values as shapes and a flat value array (record-shapes.ts).
 */
export const FRAME_VERSION = 3;

/**
 * One frame on a NATS data subject: `v` version, `s` frame sequence on the channel, `e` the
 * envelope (or a part of a records envelope too large for one message), `m` true while more parts
 * of the same envelope follow. On the wire a records envelope has {@link ShapedRecords} in place
 * of `values`; every frame carries its own shapes, so any frame decodes on its own (a fresh or
 * restarted receiver, a replay after rollback).
 */
export interface Frame {
  v: number;
  s: number;
  e: Envelope;
  m?: boolean;
}

// Records (msgpackr's extension) write the shapes of the frame's own objects (the frame, the
// envelope, nested values) once per frame; the records themselves are shaped by record-shapes.ts.
// No structures are shared between frames. Decoding has its own instance: it must not see the
// encoder's shapes. Maps stay Maps (plain msgpack maps decode as Map in this mode, see decodeFrame).
const packr = new Packr({ moreTypes: true });
const unpackr = new Unpackr({ moreTypes: true });

/** Encodes an envelope as frames no larger than `maxBytes`, splitting a records batch when needed. */
export function encodeFrames(envelope: Envelope, firstSeq: number, maxBytes: number): Uint8Array[] {
  const whole = packr.pack({ v: FRAME_VERSION, s: firstSeq, e: toWire(envelope) });
  if (whole.length <= maxBytes) return [whole];
  if (envelope.kind !== 'records' || envelope.values.length <= 1) throw new BadFrameError(`an envelope of ${whole.length} bytes does not fit in ${maxBytes} bytes (max_payload) and cannot be split`);
  const parts = splitRecords(envelope, Math.ceil(whole.length / maxBytes) + 1);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < parts.length; i++) {
    const more = i < parts.length - 1;
    const bytes = packr.pack({ v: FRAME_VERSION, s: firstSeq + frames.length, e: toWire(parts[i]!), ...(more ? { m: true } : {}) });
    if (bytes.length > maxBytes) {
      // Still too large (records of very different sizes): split this part further.
      const sub = encodeFrames(parts[i]!, firstSeq + frames.length, maxBytes);
      frames.push(...(more ? sub.map(markMore) : sub));
    } else frames.push(bytes);
  }
  return frames;
}

/** A records envelope as it travels: its values shaped (see {@link ShapedRecords}). */
interface RecordsWire {
  kind: 'records';
  seq: number;
  r: ShapedRecords;
  timestamps: number[] | null;
  trace?: Array<[number, string]>;
}

function toWire(e: Envelope): Envelope | RecordsWire {
  if (e.kind !== 'records') return e;
  const wire: RecordsWire = { kind: 'records', seq: e.seq, r: shapeRecords(e.values), timestamps: e.timestamps };
  if (e.trace) wire.trace = e.trace;
  return wire;
}

/**
 * Most records one frame may declare. Batches hold 1024 by default; a frame's bytes bound every
 * record but empty objects (a shape without keys costs nothing on the wire), so without this a
 * hostile frame of a few bytes could declare a billion of them.
 */
export const MAX_FRAME_RECORDS = 1 << 20;

function fromWire(w: RecordsWire, subject: string): RecordsEnvelope {
  if (typeof w.r !== 'object' || w.r === null) throw new BadFrameError('records envelope without records', { source: subject });
  if (typeof w.r.n === 'number' && w.r.n > MAX_FRAME_RECORDS) throw new BadFrameError(`records envelope declares ${w.r.n} records, more than the ${MAX_FRAME_RECORDS} a frame may hold`, { source: subject });
  const values = unshapeRecords(w.r, subject);
  if (w.timestamps !== null && (!Array.isArray(w.timestamps) || w.timestamps.length !== values.length)) throw new BadFrameError(`records envelope with timestamps not one per record`, { source: subject });
  const e: RecordsEnvelope = { kind: 'records', seq: w.seq, values, timestamps: w.timestamps };
  if (w.trace !== undefined) e.trace = checkTrace(w.trace, values.length, subject);
  return e;
}

/** Trace entries must be `[index of a record, traceparent]` pairs: they reach the tracer as they are. */
function checkTrace(trace: unknown, n: number, subject: string): Array<[number, string]> {
  const ok = Array.isArray(trace) && trace.length <= n && trace.every((t) => Array.isArray(t) && t.length === 2 && Number.isInteger(t[0]) && t[0] >= 0 && t[0] < n && typeof t[1] === 'string' && t[1].length <= 128);
  if (!ok) throw new BadFrameError('records envelope with trace entries that are not [record index, traceparent] pairs', { source: subject });
  return trace as Array<[number, string]>;
}

/** Control envelopes reach the runtime as they are: each field must have its type. */
function checkControl(e: Record<string, unknown>, subject: string): void {
  const fail = (what: string): never => {
    throw new BadFrameError(`${String(e.kind)} envelope ${what}`, { source: subject });
  };
  if (!Number.isInteger(e.seq) || (e.seq as number) < 0) fail('without a sequence number');
  switch (e.kind) {
    case 'watermark':
      if (typeof e.time !== 'number' || Number.isNaN(e.time)) fail('without a time');
      return;
    case 'barrier':
      if (!Number.isInteger(e.checkpointId) || (e.savepoint !== undefined && typeof e.savepoint !== 'boolean')) fail('without an integer checkpoint id');
      return;
    case 'idle':
      if (typeof e.idle !== 'boolean') fail('without an idle flag');
      return;
    case 'end':
      return;
    default:
      throw new BadFrameError(`unknown envelope kind '${String(e.kind).slice(0, 40)}'`, { source: subject });
  }
}

/** Re-encodes a frame with `m: true` (a sub-part that is not the last of its envelope). */
function markMore(bytes: Uint8Array): Uint8Array {
  const f = unpackr.unpack(bytes) as object;
  return packr.pack({ ...f, m: true });
}

function splitRecords(e: RecordsEnvelope, n: number): RecordsEnvelope[] {
  const size = Math.ceil(e.values.length / n);
  const parts: RecordsEnvelope[] = [];
  for (let from = 0; from < e.values.length; from += size) {
    const to = Math.min(e.values.length, from + size);
    const part: RecordsEnvelope = { kind: 'records', seq: e.seq + from, values: e.values.slice(from, to), timestamps: e.timestamps ? e.timestamps.slice(from, to) : null };
    const trace = e.trace?.filter(([i]) => i >= from && i < to).map(([i, tp]) => [i - from, tp] as [number, string]);
    if (trace && trace.length > 0) part.trace = trace;
    parts.push(part);
  }
  return parts;
}

/** Decodes and checks a frame; throws {@link BadFrameError} saying what is wrong with it. */
export function decodeFrame(bytes: Uint8Array, subject: string, maxBytes: number): Frame {
  if (bytes.length > maxBytes) throw new BadFrameError(`frame of ${bytes.length} bytes exceeds the ${maxBytes} allowed`, { source: subject });
  let f: Frame;
  try {
    f = unpackr.unpack(bytes) as Frame;
  } catch (error) {
    throw new BadFrameError('not a msgpack frame', { source: subject }, error);
  }
  // A frame that is a plain msgpack map (another encoder, or Weir before frame version 2).
  if (f instanceof Map) f = Object.fromEntries(f) as Frame;
  if (typeof f !== 'object' || f === null || typeof f.v !== 'number') throw new BadFrameError('not a Weir frame (no version)', { source: subject });
  if (f.v !== FRAME_VERSION) throw new BadFrameError(`frame version ${f.v} is not supported (this Weir speaks ${FRAME_VERSION})`, { source: subject });
  if (!Number.isInteger(f.s) || typeof f.e !== 'object' || f.e === null || typeof (f.e as { kind?: unknown }).kind !== 'string') throw new BadFrameError('frame without sequence number or envelope', { source: subject });
  if (f.m !== undefined && typeof f.m !== 'boolean') throw new BadFrameError('frame with a non-boolean continuation flag', { source: subject });
  if (f.e.kind === 'records') {
    if (!Number.isInteger(f.e.seq) || f.e.seq < 0) throw new BadFrameError('records envelope without sequence number', { source: subject });
    f.e = fromWire(f.e as unknown as RecordsWire, subject);
  } else checkControl(f.e as unknown as Record<string, unknown>, subject);
  return f;
}
