import { SeededRandom } from '../src/index.ts';

/** The record every core scenario uses, generated from (seed, index) identically by every system. */
export interface Trade {
  id: number;
  key: number;
  price: number;
}

export const SEED = 42;

export function trade(i: number, r: SeededRandom): Trade {
  return { id: i, key: r.int(10_000), price: r.int(10_000) };
}

export const discount = (t: Trade): Trade => ({ id: t.id, key: t.key, price: t.price * 0.9 });
export const expensive = (t: Trade): boolean => t.price > 1000;
export const total = (t: Trade): number => t.price + t.key;
