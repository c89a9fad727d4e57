/**
 * The traffic example's click stream: one click every 200 ms of event time, up to 5 s out of
 * order. People come in 20-minute slots (400 of 10,000 users are active in each, ~10 clicks each), so their clicks
 * form sessions; 30% of the clicks come from two crawler IPs at ~45 clicks a minute each.
 */
import type { SeededRandom } from '../../src/index.ts';

/** One page view. `seq` is the click's position in the log (unique). */
export interface Click {
  seq: number;
  user: string;
  ip: string;
  page: string;
  referrer: string;
  at: number;
}

/** Milliseconds of event time between clicks, and how far out of order they arrive at most. */
export const CLICK_EVERY_MS = 200;
/** See {@link CLICK_EVERY_MS}. */
export const OUT_OF_ORDER_MS = 5_000;

const REFERRERS = ['google', 'direct', 'newsletter', 'social'];
const SLOT_MS = 20 * 60_000;

/** The path a visitor opens: home and product pages most, few reach cart and checkout. */
function page(r: SeededRandom): string {
  const x = r.int(100);
  if (x < 30) return '/home';
  if (x < 60) return `/product/${r.int(20)}`;
  if (x < 72) return '/cart';
  if (x < 78) return '/checkout';
  if (x < 95) return `/blog/${r.int(10)}`;
  return '/about';
}

/**
 * Click `i` of the seeded log (a generator function for `env.fromGenerator`).
 * @example
 * ```ts
 * env.fromGenerator(clickAt, { count: 100_000, seed: 7 })
 * ```
 */
export function clickAt(i: number, r: SeededRandom): Click {
  const at = i * CLICK_EVERY_MS - r.int(OUT_OF_ORDER_MS);
  if (r.int(10) < 3) {
    const ip = `10.0.0.${1 + r.int(2)}`;
    return { seq: i, user: `crawler-${ip}`, ip, page: page(r), referrer: 'direct', at };
  }
  const slot = Math.floor((i * CLICK_EVERY_MS) / SLOT_MS);
  const n = (slot * 401 + r.int(400)) % 10_000;
  return { seq: i, user: `u${n}`, ip: `192.168.${n >> 8}.${n & 255}`, page: page(r), referrer: REFERRERS[r.int(REFERRERS.length)]!, at };
}
