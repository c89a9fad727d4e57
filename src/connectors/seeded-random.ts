/**
 * A fast seeded PRNG (splitmix32) whose state can be set from (seed, index), so a generator can
 * produce record i identically however often it restarts: `reset(i)` then draw.
 * @example
 * ```ts
 * const r = new SeededRandom(42); r.reset(7); r.int(100) // same value every time for (42, 7)
 * ```
 */
export class SeededRandom {
  private state = 0;
  private readonly seed: number;

  constructor(seed: number) {
    this.seed = seed | 0;
    this.state = this.seed;
  }

  /** Sets the state from the seed and a record index (mixes both so neighbours are unrelated). */
  reset(index: number): this {
    this.state = mix32(this.seed ^ mix32(index | 0) ^ mix32(Math.floor(index / 4294967296)));
    return this;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x9e3779b9) | 0;
    return (mix32(this.state) >>> 0) / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return x ^ (x >>> 16);
}
