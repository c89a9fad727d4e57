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
 * and a reader compiled before that point goes on creating objects of the deprecated map: every
 * record then migrates on first access, ~100-300 ns each. Whether the reader was compiled before or
 * after depends on timing (how many frames wait in the channel), which made nats-map bimodal.
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

/** Splits `values` into shapes and a flat value array (see {@link ShapedRecords}). */
export function shapeRecords(values: readonly unknown[]): ShapedRecords {
  const shapes: string[][] = [];
  const flat: unknown[] = [];
  let ids: number[] | null = null;
  let shape: string[] | undefined;
  let shapeId = -1;
  let first = -1;
  for (let r = 0; r < values.length; r++) {
    const v = values[r];
    let id = -1;
    if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
      const o = v as Record<string, unknown>;
      id = shape !== undefined && pushIfShape(o, shape, flat) ? shapeId : matchShape(o, shapes, flat);
      if (id >= 0) {
        shape = shapes[id]!;
        shapeId = id;
      }
    }
    if (id < 0) flat.push(v);
    // Ids are written only once records differ: all of shape 0, or all raw (then there are no shapes), need none.
    if (r === 0) first = id;
    else if (ids === null && id !== first) ids = new Array<number>(r).fill(first);
    if (ids !== null) ids.push(id);
  }
  return { n: values.length, k: shapes, i: ids, f: flat };
}

/** Appends `v`'s values when its keys are exactly `keys`, in order; leaves `flat` as it was otherwise. */
function pushIfShape(v: Record<string, unknown>, keys: string[], flat: unknown[]): boolean {
  const start = flat.length;
  let j = 0;
  for (const key in v) {
    if (j === keys.length || keys[j] !== key) {
      flat.length = start;
      return false;
    }
    flat.push(v[key]);
    j++;
  }
  if (j === keys.length) return true;
  flat.length = start;
  return false;
}

/** Appends `v`'s values under the first of `shapes` that fits, or under a new one; -1 (nothing appended) for a raw value. */
function matchShape(v: Record<string, unknown>, shapes: string[][], flat: unknown[]): number {
  for (let s = 0; s < shapes.length; s++) if (pushIfShape(v, shapes[s]!, flat)) return s;
  if (shapes.length === MAX_SHAPES) return -1;
  const keys: string[] = [];
  for (const key in v) {
    // `__proto__` as an own key cannot be restored by assignment; msgpack keeps it as data.
    if (key === '__proto__' || keys.length === MAX_KEYS) return -1;
    keys.push(key);
  }
  shapes.push(keys);
  pushIfShape(v, keys, flat);
  return shapes.length - 1;
}

/** Builds a record of one shape from `f[j…]`. */
type Build = new (f: unknown[], j: number) => object;

/**
 * One constructor per shape for the whole process (not per channel or frame), so that all records
 * of a shape share one map tree and the code that reads them stays monomorphic. Bounded: past
 * the limit, records of new shapes are built by assignment (slower, equally correct).
 */
const builders = new Map<string, Build>();
const MAX_BUILDERS = 4096;

function builderFor(keys: string[]): Build {
  const id = JSON.stringify(keys);
  let build = builders.get(id);
  if (build === undefined) {
    if (builders.size >= MAX_BUILDERS) return assigning(keys);
    // Keys are written as JSON string literals: any string is safe in the generated source.
    const body = keys.map((key, j) => `this[${JSON.stringify(key)}] = f[j + ${j}];`).join('\n');
    build = new Function('f', 'j', body) as unknown as Build;
    (build as unknown as { prototype: object }).prototype = Object.prototype;
    builders.set(id, build);
  }
  return build;
}

function assigning(keys: string[]): Build {
  return function (this: Record<string, unknown>, f: unknown[], j: number) {
    for (let k = 0; k < keys.length; k++) this[keys[k]!] = f[j + k];
  } as unknown as Build;
}

/** Rebuilds the records of {@link shapeRecords}; throws {@link BadFrameError} when the parts do not fit together. */
export function unshapeRecords(wire: ShapedRecords, subject: string): unknown[] {
  const { n, k: shapes, i: ids, f: flat } = wire;
  const bad = (why: string) => new BadFrameError(`records: ${why}`, { source: subject });
  if (!Number.isInteger(n) || n < 0 || !Array.isArray(shapes) || !Array.isArray(flat) || (ids !== null && !Array.isArray(ids))) throw bad('no record count, shapes or values');
  if (shapes.length === 0 && ids === null) {
    if (flat.length !== n) throw bad(`${flat.length} values for ${n} records`);
    return flat;
  }
  const builds = new Array<Build>(shapes.length);
  const widths = new Array<number>(shapes.length);
  for (let s = 0; s < shapes.length; s++) {
    const keys = shapes[s];
    if (!Array.isArray(keys) || !keys.every((key) => typeof key === 'string' && key !== '__proto__')) throw bad(`shape ${s} is not a list of keys`);
    builds[s] = builderFor(keys);
    widths[s] = keys.length;
  }
  const values = new Array<unknown>(n);
  let j = 0;
  if (ids === null) {
    const Build0 = builds[0]!;
    const w = widths[0]!;
    if (w * n !== flat.length) throw bad(`${flat.length} values for ${n} records of ${w} keys`);
    for (let r = 0; r < n; r++, j += w) values[r] = new Build0(flat, j);
    return values;
  }
  if (ids.length !== n) throw bad(`${ids.length} shape ids for ${n} records`);
  for (let r = 0; r < n; r++) {
    const id = ids[r];
    if (id === -1) {
      if (j >= flat.length) throw bad('values end early');
      values[r] = flat[j++];
      continue;
    }
    const w = widths[id as number];
    if (w === undefined) throw bad(`record ${r} has shape ${String(id)} of ${shapes.length}`);
    if (j + w > flat.length) throw bad('values end early');
    values[r] = new builds[id as number]!(flat, j);
    j += w;
  }
  if (j !== flat.length) throw bad(`${flat.length - j} values left over`);
  return values;
}
