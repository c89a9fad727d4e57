import type { Sink } from '../src/index.ts';

/**
 * An order-insensitive digest of a system's output rows: the row count and two sums (mod 2^32) of
 * each row's 32-bit hash. Systems that emit the same rows in a different order agree; a lost,
 * extra or different row shows (barring a 2^-64 coincidence). Digests of disjoint parts of one
 * output (two processes, two subtasks) add up with `merge`. Hashing a row costs a few multiplies,
 * and every system of a scenario pays it for each row it emits, as a sink would.
 */
export class ResultDigest {
  count = 0;
  private a = 0;
  private b = 0;

  /** Adds one row, given as the hash of its fields (built with {@link mix} / {@link mixString}). */
  add(h: number): void {
    this.count++;
    this.a = (this.a + h) | 0;
    const g = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
    this.b = (this.b + (g ^ (g >>> 13))) | 0;
  }

  /** Adds the rows of another digest (of a disjoint part of the same output). */
  merge(other: ResultDigest | string): this {
    const o = typeof other === 'string' ? ResultDigest.parse(other) : other;
    this.count += o.count;
    this.a = (this.a + o.a) | 0;
    this.b = (this.b + o.b) | 0;
    return this;
  }

  /** `rows:hash:hash`, what a bench row reports as `extra.result`. */
  toString(): string {
    return `${this.count}:${(this.a >>> 0).toString(16).padStart(8, '0')}:${(this.b >>> 0).toString(16).padStart(8, '0')}`;
  }

  static parse(text: string): ResultDigest {
    const m = /^(\d+):([0-9a-f]{8}):([0-9a-f]{8})$/.exec(text);
    if (!m) throw new Error(`not a result digest: '${text}'`);
    const d = new ResultDigest();
    d.count = Number(m[1]);
    d.a = parseInt(m[2]!, 16) | 0;
    d.b = parseInt(m[3]!, 16) | 0;
    return d;
  }
}

/** What a system returns for `digest`'s rows: handled = rows, and the digest to compare. */
export const digestResult = (digest: ResultDigest, extra?: Record<string, number | string>) => ({ handled: digest.count, digest: digest.toString(), ...(extra ? { extra } : {}) });

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Hash `h` extended by the number `x`, exactly: an int32 by its value, any other number by its 64 bits. */
export function mix(h: number, x: number): number {
  let v: number;
  if ((x | 0) === x) v = x;
  else {
    f64[0] = x;
    v = u32[0]! ^ Math.imul(u32[1]!, 0x27d4eb2d);
  }
  h = Math.imul(h ^ v, 0x9e3779b1);
  return h ^ (h >>> 15);
}

/** Hash `h` extended by the string `s` (FNV-1a over its UTF-16 code units). */
export function mixString(h: number, s: string): number {
  let f = 0x811c9dc5;
  for (let k = 0; k < s.length; k++) f = Math.imul(f ^ s.charCodeAt(k), 0x01000193);
  return mix(h, f | 0);
}

/** A sink that digests what it receives (all subtasks into one digest), through `hash(row)`. */
export function digestSink<T>(hash: (row: T) => number): Sink<T> & { digest: ResultDigest } {
  const digest = new ResultDigest();
  return {
    name: 'digest',
    digest,
    createWriter: () => ({
      open() {},
      write(values: T[]) {
        for (let k = 0; k < values.length; k++) digest.add(hash(values[k]!));
      },
      close() {},
    }),
  };
}
