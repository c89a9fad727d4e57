import { Packr } from 'msgpackr';
import { crc32 } from 'node:zlib';
import { SnapshotCorruptError, StateNotSerializableError } from '../errors.ts';

/** The snapshot format this Weir writes and reads. */
export const SNAPSHOT_FORMAT_VERSION = 1;

const MAGIC = [0x57, 0x45, 0x49, 0x52]; // "WEIR"
const HEADER = 14; // magic 4 + version 2 + body length 4 + crc32 4

/**
 * One msgpackr configuration for snapshots: Map, Set, Date, bigint, typed arrays and undefined
 * round-trip. (`structuredClone` would add cycles but packs ~7× slower; state has no cycles.)
 */
const packr = new Packr({
  moreTypes: true,
  // A function is never packed silently as nil, even where assertSerializable did not walk (deltas).
  writeFunction: () => {
    throw new StateNotSerializableError(packing.operator, 'state', 'a function (found while packing)');
  },
});
/** Who is packing now, for the error above. */
const packing = { operator: '?' };

/** Packs a value with the snapshot configuration (reused by transports that carry state-like values). */
export function packValue(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** Unpacks what {@link packValue} packed. */
export function unpackValue(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}

/** Who wrote a snapshot. */
export interface SnapshotMeta {
  job: string;
  operator: string;
  kind: string;
}

/**
 * Encodes a snapshot: `WEIR`, format version, body length and a crc32 of the body, then the
 * msgpackr body `{ meta, payload }`. Truncation, corruption and foreign versions are detected on read.
 * @example
 * ```ts
 * const bytes = encodeSnapshot({ counts: new Map([['a', 1]]) }, { job: 'j', operator: 'count', kind: 'local' })
 * ```
 */
export function encodeSnapshot(payload: unknown, meta: SnapshotMeta): Uint8Array {
  packing.operator = meta.operator;
  const body = packr.pack({ meta, payload });
  const out = new Uint8Array(HEADER + body.length);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint16(4, SNAPSHOT_FORMAT_VERSION);
  view.setUint32(6, body.length);
  view.setUint32(10, crc32(body) >>> 0);
  out.set(body, HEADER);
  return out;
}

/**
 * Decodes a snapshot, checking magic, version, length and checksum; every failure is a
 * {@link SnapshotCorruptError} naming the snapshot, job and operator and what is wrong.
 * @example
 * ```ts
 * const { payload } = decodeSnapshot(bytes, { key: 'job/local/count-0', operator: 'count' })
 * ```
 */
export function decodeSnapshot(bytes: Uint8Array, expect: { job?: string; operator?: string; key?: string } = {}): { meta: SnapshotMeta; payload: unknown } {
  const key = expect.key ?? 'snapshot';
  const site = { job: expect.job, operator: expect.operator };
  const fail = (reason: string, cause?: unknown): never => {
    throw new SnapshotCorruptError(key, reason, site, cause);
  };
  if (bytes.length < HEADER) fail(`truncated (expected at least ${HEADER} header bytes, found ${bytes.length})`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) fail('bad magic: not a Weir snapshot');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4);
  if (version !== SNAPSHOT_FORMAT_VERSION) fail(`format version ${version} not supported (this Weir reads ${SNAPSHOT_FORMAT_VERSION})`);
  const length = view.getUint32(6);
  if (bytes.length - HEADER < length) fail(`truncated (expected ${HEADER + length} bytes, found ${bytes.length})`);
  const body = bytes.subarray(HEADER, HEADER + length);
  if ((crc32(body) >>> 0) !== view.getUint32(10)) fail('checksum mismatch: the snapshot is corrupt');
  let decoded: { meta: SnapshotMeta; payload: unknown };
  try {
    decoded = packr.unpack(body) as { meta: SnapshotMeta; payload: unknown };
  } catch (e) {
    return fail('body does not decode', e);
  }
  if (expect.operator !== undefined && decoded.meta?.operator !== expect.operator) fail(`written by operator '${decoded.meta?.operator}', not '${expect.operator}'`);
  return decoded;
}

/**
 * Throws {@link StateNotSerializableError} when `value` holds something a snapshot cannot carry
 * faithfully: a function, a symbol, a WeakMap/WeakSet/Promise, or an instance of a user class
 * (its methods would be lost). Runs at snapshot time only.
 * @example
 * ```ts
 * assertSerializable({ total: 1, onChange: () => {} }, 'sum') // throws: state value at 'state.onChange' is a function
 * ```
 */
export function assertSerializable(value: unknown, operator: string): void {
  // Path segments are kept on a stack and joined only when something is wrong: this runs over
  // every state entry at snapshot time, so no string is built per value.
  const path: Array<string | number> = ['state'];
  const fail = (what: string): never => {
    const text = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 || p.startsWith('.') ? p : `.${p}`)).join('');
    throw new StateNotSerializableError(operator, text, what);
  };
  const walk = (v: unknown, depth: number): void => {
    const t = typeof v;
    if (t !== 'object') {
      if (t === 'function') fail('a function');
      if (t === 'symbol') fail('a symbol');
      return;
    }
    if (v === null || depth > 64) return;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (typeof x === 'object' || typeof x === 'function' || typeof x === 'symbol') {
          path.push(i);
          walk(x, depth + 1);
          path.pop();
        }
      }
      return;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      for (const k in v as object) {
        path.push(k);
        walk((v as Record<string, unknown>)[k], depth + 1);
        path.pop();
      }
      return;
    }
    if (v instanceof Map) {
      for (const [k, x] of v) {
        path.push(`.get(${typeof k === 'string' ? JSON.stringify(k) : String(k)})`);
        walk(k, depth + 1);
        walk(x, depth + 1);
        path.pop();
      }
      return;
    }
    if (v instanceof Set) {
      let i = 0;
      for (const x of v) {
        path.push(`.<item ${i++}>`);
        walk(x, depth + 1);
        path.pop();
      }
      return;
    }
    if (v instanceof Date || v instanceof RegExp || ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Error) return;
    if (v instanceof WeakMap || v instanceof WeakSet || v instanceof Promise) fail(`a ${(v as object).constructor.name}`);
    fail(`an instance of class ${proto?.constructor?.name ?? '?'} (its methods would be lost)`);
  };
  walk(value, 0);
}
