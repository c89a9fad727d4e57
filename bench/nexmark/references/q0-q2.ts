import type { NexmarkGenerator } from '../generator.ts';
import type { NexmarkEvent } from '../model.ts';

/** A bid with its price in euros. */
export interface EuroBid {
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
}

export function q0Reference(gen: NexmarkGenerator, count: number, emit: (e: NexmarkEvent) => void): void {
  for (let i = 0; i < count; i++) emit(gen.event(i));
}

export function q1Reference(gen: NexmarkGenerator, count: number, emit: (b: EuroBid) => void): void {
  for (let i = 0; i < count; i++) {
    const e = gen.event(i);
    if (e.kind === 2) emit({ auction: e.bid.auction, bidder: e.bid.bidder, price: Math.floor(e.bid.price * 0.908), dateTime: e.bid.dateTime });
  }
}

export function q2Reference(gen: NexmarkGenerator, count: number, emit: (b: { auction: number; price: number }) => void): void {
  for (let i = 0; i < count; i++) {
    const e = gen.event(i);
    if (e.kind === 2 && e.bid.auction % 123 === 0) emit({ auction: e.bid.auction, price: e.bid.price });
  }
}
