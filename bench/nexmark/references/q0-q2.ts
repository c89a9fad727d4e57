import type { NexmarkGenerator } from '../generator.ts';
import type { NexmarkEvent } from '../model.ts';

/** A bid with its price in euros. */
export interface EuroBid {
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
}

export function q0Reference(gen: NexmarkGenerator, count: number): NexmarkEvent[] {
  const out: NexmarkEvent[] = [];
  for (let i = 0; i < count; i++) out.push(gen.event(i));
  return out;
}

export function q1Reference(gen: NexmarkGenerator, count: number): EuroBid[] {
  const out: EuroBid[] = [];
  for (let i = 0; i < count; i++) {
    const e = gen.event(i);
    if (e.kind === 2) out.push({ auction: e.bid.auction, bidder: e.bid.bidder, price: Math.floor(e.bid.price * 0.908), dateTime: e.bid.dateTime });
  }
  return out;
}

export function q2Reference(gen: NexmarkGenerator, count: number): Array<{ auction: number; price: number }> {
  const out: Array<{ auction: number; price: number }> = [];
  for (let i = 0; i < count; i++) {
    const e = gen.event(i);
    if (e.kind === 2 && e.bid.auction % 123 === 0) out.push({ auction: e.bid.auction, price: e.bid.price });
  }
  return out;
}
