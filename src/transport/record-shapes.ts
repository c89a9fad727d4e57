import { BadFrameError } from '../errors.ts';

/**
 * The records of a batch as they travel in a frame: each plain object's keys once per shape in
 * `k`, its values in order in the flat array `f`, and per record its shape's index in `i` (-1: the
 * value itself sits in one slot of `f`, for anything that is not a plain object). `i` is null when
 * every record has shape 0, or when there are no shapes at all (`f` is then the values).
 *
 * Why not msgpackr's records: msgpackr builds decoded objects with a generated object literal, and
 * V8 keeps a literal's boilerplate map. Once user code creates objects with the same keys but a
 * field of another kind (a map turning an integer price into a fraction), that map is deprecated,
 * and a reader optimized before that point goes on creating objects of the deprecated map: every
 * record then migrates on first access, ~100-300 ns each. Whether the reader was optimized before
 * or after depends on timing (how many frames wait in the channel), which made nats-map bimodal.
 * Objects built here come from one constructor per shape (prototype Object.prototype, so they are
 * plain objects to users): their maps form a tree of their own that user literals never deprecate.
 */
export interface ShapedRecords {
  /** Number of records. */
  n: number;
  k: string[][];
  i: number[] | null;
  f: unknown[];
}

/** Shapes per frame, and keys per shape, beyond which objects travel as plain msgpack values. */
const MAX_SHAPES = 32;
const MAX_KEYS = 64;
/** Shapes with generated code, each of writers and builders (past it: generated per batch, or assigning builders). */
const MAX_GENERATED = 4096;

/** Values per record in the last batch shaped: sizes the next batch's flat array (filled by index, not by push: twice as fast). */
let valuesPerRecord = 1;

/** Splits `values` into shapes and a flat value array (see {@link ShapedRecords}). */
export function shapeRecords(values: readonly unknown[]): ShapedRecords {
  const shapes: string[][] = [];
  const writers: Write[] = [];
  const flat = new Array<unknown>(Math.ceil(values.length * valuesPerRecord));
  let p = 0;
  let ids: number[] | null = null;
  let write: Write | undefined;
  let shape: string[] | undefined;
  let shapeId = -1;
  let first = -1;
  for (let r = 0; r < values.length; r++) {
    const v = values[r];
    let id = -1;
    if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
      const o = v as Record<string, unknown>;
      let next = write !== undefined ? write(o, shape!, flat, p) : -1;
      if (next >= 0) id = shapeId;
      else {
        id = matchShape(o, shapes, writers);
        if (id >= 0) {
          shape = shapes[id]!;
          write = writers[id]!;
          shapeId = id;
          next = write(o, shape, flat, p);
        }
      }
      if (id >= 0) p = next;
    }
    if (id < 0) flat[p++] = v;
    // Ids are written only once records differ: all of shape 0, or all raw (then there are no shapes), need none.
    if (r === 0) first = id;
    else if (ids === null && id !== first) ids = new Array<number>(r).fill(first);
    if (ids !== null) ids.push(id);
  }
  flat.length = p;
  if (values.length > 0) valuesPerRecord = p / values.length;
  return { n: values.length, k: shapes, i: ids, f: flat };
}

/** The index of the first of `shapes` that fits `v`, adding a new one if none does; -1 for a raw value. */
function matchShape(v: Record<string, unknown>, shapes: string[][], writers: Write[]): number {
  for (let s = 0; s < shapes.length; s++) if (writers[s]!(v, shapes[s]!, NOWHERE, -1) >= 0) return s;
  if (shapes.length === MAX_SHAPES) return -1;
  const keys: string[] = [];
  for (const key in v) {
    // `__proto__` as an own key cannot be restored by assignment; msgpack keeps it as data.
    if (key === '__proto__' || keys.length === MAX_KEYS) return -1;
    keys.push(key);
  }
  shapes.push(keys);
  writers.push(writerFor(keys));
  return shapes.length - 1;
}

/**
 * Writes the values of `v` to `flat[p…]` and returns the index after them when `v`'s keys are
 * exactly `keys`, in order; returns -1 (writing nothing) otherwise. With `p` -1 it only checks.
 */
type Write = (v: Record<string, unknown>, keys: string[], flat: unknown[], p: number) => number;
const NOWHERE: unknown[] = [];

/**
 * One writer per shape, generated like the builders below: its loads are by name, so they stay
 * monomorphic (a keyed load per key in a for-in loop costs about three times as much).
 */
const shapeWriters = new Map<string, Write>();

function writerFor(keys: string[]): Write {
  const id = JSON.stringify(keys);
  let write = shapeWriters.get(id);
  if (write === undefined) {
    const stores = keys.map((key, j) => `flat[p + ${j}] = v[${JSON.stringify(key)}];`).join(' ');
    const body = `let j = 0;
for (const key in v) { if (keys[j] !== key) return -1; j++; }
if (j !== ${keys.length} || p < 0) return p < 0 && j === ${keys.length} ? 0 : -1;
${stores}
return p + ${keys.length};`;
    write = new Function('v', 'keys', 'flat', 'p', body) as Write;
    if (shapeWriters.size < MAX_GENERATED) shapeWriters.set(id, write);
  }
  return write;
}

/** Builds a record of one shape from `f[j…]`. */
type Build = new (f: unknown[], j: number) => object;

/**
 * One constructor per shape for the whole process (not per channel or frame), so that all records
 * of a shape share one map tree and the code that reads them stays monomorphic. Bounded: past
 * the limit, records of new shapes are built by assignment (slower, equally correct).
 */
const builders = new Map<string, Build>();

function builderFor(keys: string[]): Build {
  const id = JSON.stringify(keys);
  let build = builders.get(id);
  if (build === undefined) {
    if (builders.size >= MAX_GENERATED) return assigning(keys);
    // Keys are written as JSON string literals: any string is safe in the generated source.
    const body = keys.map((key, j) => `this[${JSON.stringify(key)}] = f[j + ${j}];`).join('\n');
    build = new Function('f', 'j', body) as unknown as Build;
    (build as unknown as { prototype: object }).prototype = Object.prototype;
    builders.set(id, build);
  }
  return build;
}

function assigning(keys: string[]): Build {
  const build = function (this: Record<string, unknown>, f: unknown[], j: number) {
    for (let k = 0; k < keys.length; k++) this[keys[k]!] = f[j + k];
  };
  build.prototype = Object.prototype;
  return build as unknown as Build;
}

function isKeyList(keys: unknown): keys is string[] {
  if (!Array.isArray(keys)) return false;
  for (const key of keys) if (typeof key !== 'string' || key === '__proto__') return false;
  return true;
}

function badRecords(why: string, subject: string): BadFrameError {
  return new BadFrameError(`records: ${why}`, { source: subject });
}

/** Rebuilds the records of {@link shapeRecords}; throws {@link BadFrameError} when the parts do not fit together. */
export function unshapeRecords(wire: ShapedRecords, subject: string): unknown[] {
  const { n, k: shapes, i: ids, f: flat } = wire;
  if (!Number.isInteger(n) || n < 0 || !Array.isArray(shapes) || !Array.isArray(flat) || (ids !== null && !Array.isArray(ids))) throw badRecords('no record count, shapes or values', subject);
  if (shapes.length === 0 && ids === null) {
    if (flat.length !== n) throw badRecords(`${flat.length} values for ${n} records`, subject);
    return flat;
  }
  const builds = new Array<Build>(shapes.length);
  const widths = new Array<number>(shapes.length);
  for (let s = 0; s < shapes.length; s++) {
    const keys = shapes[s];
    if (!isKeyList(keys)) throw badRecords(`shape ${s} is not a list of keys`, subject);
    builds[s] = builderFor(keys);
    widths[s] = keys.length;
  }
  const values = new Array<unknown>(n);
  let j = 0;
  if (ids === null) {
    const Build0 = builds[0]!;
    const w = widths[0]!;
    if (w * n !== flat.length) throw badRecords(`${flat.length} values for ${n} records of ${w} keys`, subject);
    for (let r = 0; r < n; r++, j += w) values[r] = new Build0(flat, j);
    return values;
  }
  if (ids.length !== n) throw badRecords(`${ids.length} shape ids for ${n} records`, subject);
  for (let r = 0; r < n; r++) {
    const id = ids[r];
    if (id === -1) {
      if (j >= flat.length) throw badRecords('values end early', subject);
      values[r] = flat[j++];
      continue;
    }
    const w = widths[id as number];
    if (w === undefined) throw badRecords(`record ${r} has shape ${String(id)} of ${shapes.length}`, subject);
    if (j + w > flat.length) throw badRecords('values end early', subject);
    values[r] = new builds[id as number]!(flat, j);
    j += w;
  }
  if (j !== flat.length) throw badRecords(`${flat.length - j} values left over`, subject);
  return values;
}
