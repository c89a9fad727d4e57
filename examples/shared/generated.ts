import { SeededRandom } from '../../src/index.ts';

/**
 * Records `fn(i, random)` for i < count, exactly as `env.fromGenerator(fn, { count, seed })` makes
 * them: the references and the NATS mode use the very records the embedded job reads.
 * @example
 * ```ts
 * const clicks = generated(clickAt, 10_000, 7)
 * ```
 */
export function generated<T>(fn: (index: number, random: SeededRandom) => T, count: number, seed: number): T[] {
  const random = new SeededRandom(seed);
  const out: T[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = fn(i, random.reset(i));
  return out;
}
