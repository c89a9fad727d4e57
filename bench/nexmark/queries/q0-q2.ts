import type { NexmarkQuery } from '../query.ts';
import type { Bid, NexmarkEvent } from '../model.ts';
import { q0Reference, q1Reference, q2Reference, type EuroBid } from '../references/q0-q2.ts';

const eventRow = (e: NexmarkEvent) => (e.kind === 0 ? `p|${e.person.id}|${e.person.dateTime}` : e.kind === 1 ? `a|${e.auction.id}|${e.auction.dateTime}` : `b|${e.bid.auction}|${e.bid.bidder}|${e.bid.price}|${e.bid.dateTime}`);

/** q0 pass-through: every event, unchanged (measures the engine's own overhead). */
export const q0: NexmarkQuery<NexmarkEvent> = {
  name: 'q0',
  description: 'pass-through',
  build: (events) => events.map((e) => e, 'q0:pass-through'),
  reference: q0Reference,
  row: eventRow,
};

/** q1 currency conversion: bid prices from dollars to euros. */
export const q1: NexmarkQuery<EuroBid> = {
  name: 'q1',
  description: 'currency conversion',
  build: (events) =>
    events
      .filter((e) => e.kind === 2, 'q1:bids')
      .map((e) => {
        const b = (e as { bid: Bid }).bid;
        return { auction: b.auction, bidder: b.bidder, price: Math.floor(b.price * 0.908), dateTime: b.dateTime };
      }, 'q1:to-euro'),
  reference: q1Reference,
  row: (b) => `${b.auction}|${b.bidder}|${b.price}|${b.dateTime}`,
};

/** q2 selection: bids on a set of auctions (id divisible by 123). */
export const q2: NexmarkQuery<{ auction: number; price: number }> = {
  name: 'q2',
  description: 'selection',
  build: (events) =>
    events
      .filter((e) => e.kind === 2 && e.bid.auction % 123 === 0, 'q2:select')
      .map((e) => ({ auction: (e as { bid: Bid }).bid.auction, price: (e as { bid: Bid }).bid.price }), 'q2:project'),
  reference: q2Reference,
  row: (r) => `${r.auction}|${r.price}`,
};
