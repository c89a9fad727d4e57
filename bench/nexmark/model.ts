/** Nexmark's three event kinds (as in the nexmark/nexmark project's model), with event time in ms. */
export interface Person {
  id: number;
  name: string;
  emailAddress: string;
  creditCard: string;
  city: string;
  state: string;
  dateTime: number;
}

export interface Auction {
  id: number;
  itemName: string;
  description: string;
  initialBid: number;
  reserve: number;
  dateTime: number;
  expires: number;
  seller: number;
  category: number;
}

export interface Bid {
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  dateTime: number;
}

/** One generated event: exactly one of person, auction, bid is set (as Nexmark's Event). */
export type NexmarkEvent = { kind: 0; person: Person } | { kind: 1; auction: Auction } | { kind: 2; bid: Bid };

export const PERSON = 0;
export const AUCTION = 1;
export const BID = 2;

/** The event time of any event. */
export function eventTime(e: NexmarkEvent): number {
  return e.kind === 0 ? e.person.dateTime : e.kind === 1 ? e.auction.dateTime : e.bid.dateTime;
}
