import { Packr, Unpackr } from 'msgpackr';
import type { Envelope, RecordsEnvelope } from './envelope.ts';
import { BadFrameError } from '../errors.ts';

/** Frame format version; a receiver rejects frames of another version (dead letter, channel goes on). */
export const FRAME_VERSION = 2;

/**
 * One frame on a NATS data subject: `v` version, `s` frame sequence on the channel, `e` the
 * envelope (or a part of a records envelope too large for one message), `m` true while more parts
 * of the same envelope follow.
 */
export interface Frame {
  v: number;
  s: number;
  e: Envelope;
  m?: boolean;
}

// Records (msgpackr's extension) write an object shape once per frame instead of its keys per
// record: a third fewer bytes and faster both ways. No structures are shared between frames, so
// each frame decodes on its own. Decoding has its own instance: it must not see the encoder's shapes.
// Maps stay Maps (plain msgpack maps decode as Map in this mode, see decodeFrame).
const packr = new Packr({ moreTypes: true });
const unpackr = new Unpackr({ moreTypes: true });

/** Encodes an envelope as frames no larger than `maxBytes`, splitting a records batch when needed. */
export function encodeFrames(envelope: Envelope, firstSeq: number, maxBytes: number): Uint8Array[] {
  const whole = packr.pack({ v: FRAME_VERSION, s: firstSeq, e: envelope } satisfies Frame);
  if (whole.length <= maxBytes) return [whole];
  if (envelope.kind !== 'records' || envelope.values.length <= 1) throw new BadFrameError(`an envelope of ${whole.length} bytes does not fit in ${maxBytes} bytes (max_payload) and cannot be split`);
  const parts = splitRecords(envelope, Math.ceil(whole.length / maxBytes) + 1);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < parts.length; i++) {
    const more = i < parts.length - 1;
    const bytes = packr.pack({ v: FRAME_VERSION, s: firstSeq + frames.length, e: parts[i]!, ...(more ? { m: true } : {}) } satisfies Frame);
    if (bytes.length > maxBytes) {
      // Still too large (records of very different sizes): split this part further.
      const sub = encodeFrames(parts[i]!, firstSeq + frames.length, maxBytes);
      frames.push(...(more ? sub.map(markMore) : sub));
    } else frames.push(bytes);
  }
  return frames;
}

/** Re-encodes a frame with `m: true` (a sub-part that is not the last of its envelope). */
function markMore(bytes: Uint8Array): Uint8Array {
  const f = unpackr.unpack(bytes) as Frame;
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
  if (typeof f.s !== 'number' || typeof f.e !== 'object' || f.e === null || typeof (f.e as { kind?: unknown }).kind !== 'string') throw new BadFrameError('frame without sequence number or envelope', { source: subject });
  return f;
}
