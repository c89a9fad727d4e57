import { InvalidJobError } from '../errors.ts';

/** Default number of key groups: the most parallelism a keyed operator can be rescaled to. */
export const DEFAULT_MAX_PARALLELISM = 128;

/**
 * The key group of a key: murmur3 (x86, 32-bit) of a canonical encoding, then Flink's
 * `murmurHash(hashCode) % maxParallelism`. Stable across processes and runs, so state written
 * per key group can be restored at another parallelism.
 * @example
 * ```ts
 * keyGroupOf('user-42', 128) // same number in every process
 * ```
 */
export function keyGroupOf(key: unknown, maxParallelism: number): number {
  return (fmix(hashKey(key)) >>> 0) % maxParallelism;
}

/** Which subtask owns a key group (Flink's KeyGroupRangeAssignment). */
export function operatorIndexForKeyGroup(maxParallelism: number, parallelism: number, keyGroup: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/**
 * The key groups a subtask owns: `{ start, end }`, both inclusive.
 * @example
 * ```ts
 * keyGroupRangeForOperator(128, 3, 0) // { start: 0, end: 42 }
 * ```
 */
export function keyGroupRangeForOperator(maxParallelism: number, parallelism: number, index: number): { start: number; end: number } {
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > maxParallelism) {
    throw new InvalidJobError(`parallelism must be between 1 and maxParallelism (${maxParallelism}), got ${parallelism}`);
  }
  if (!Number.isInteger(index) || index < 0 || index >= parallelism) throw new InvalidJobError(`subtask index ${index} out of range for parallelism ${parallelism}`);
  return { start: Math.ceil((index * maxParallelism) / parallelism), end: Math.ceil(((index + 1) * maxParallelism) / parallelism) - 1 };
}

function hashKey(key: unknown): number {
  switch (typeof key) {
    case 'string':
      return murmurString(key);
    case 'number':
      return Number.isInteger(key) && key >= -2147483648 && key <= 2147483647 ? murmurInt(key | 0) : murmurString(String(key));
    case 'bigint':
      return murmurString(`n${key}`);
    case 'boolean':
      return murmurInt(key ? 1231 : 1237);
    default:
      return murmurString(canonical(key));
  }
}

/** A deterministic text form for composite keys (arrays and plain objects, keys sorted). */
function canonical(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${k}:${canonical(o[k])}`).join(',')}}`;
  }
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixK(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

function mixH(h: number, k: number): number {
  h ^= mixK(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function murmurInt(x: number): number {
  return fmix(mixH(0, x) ^ 4);
}

/** murmur3 over UTF-16 code units, two per 32-bit block; no allocation. */
function murmurString(s: string): number {
  let h = 0;
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) h = mixH(h, s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
  if (i < n) h ^= mixK(s.charCodeAt(i));
  return fmix(h ^ (n * 2));
}
