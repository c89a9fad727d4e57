/**
 * The recommendation example's interaction log: one user–item interaction every 100 ms of event
 * time, in order. Each of 500 users mostly looks at items of one of ten categories (20 items
 * each), so items of a category co-occur; 80% are views, 15% add to cart, 5% are purchases.
 */
import type { SeededRandom } from '../../src/index.ts';

/** What a user did with an item. `seq` is the interaction's position in the log (unique). */
export interface Interaction {
  seq: number;
  user: string;
  item: string;
  kind: 'view' | 'cart' | 'buy';
  at: number;
}

/** Event time between two interactions of the log. */
export const INTERACTION_EVERY_MS = 100;

/**
 * Interaction `i` of the seeded log (a generator function for `env.fromGenerator`).
 * @example
 * ```ts
 * env.fromGenerator(interactionAt, { count: 50_000, seed: 5 })
 * ```
 */
export function interactionAt(i: number, r: SeededRandom): Interaction {
  const user = r.int(500);
  const category = user % 10;
  const item = r.int(5) < 4 ? category * 20 + r.int(20) : r.int(200);
  const k = r.int(100);
  return { seq: i, user: `u${user}`, item: `i${item}`, kind: k < 80 ? 'view' : k < 95 ? 'cart' : 'buy', at: i * INTERACTION_EVERY_MS };
}
