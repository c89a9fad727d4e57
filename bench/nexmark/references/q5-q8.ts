import type { NexmarkGenerator } from '../generator.ts';

export interface HotItem {
  auction: number;
  num: number;
  windowEnd: number;
}

export interface HighestBid {
  auction: number;
  price: number;
  bidder: number;
  dateTime: number;
  windowEnd: number;
}

export interface NewUser {
  id: number;
  name: string;
  windowStart: number;
}

export function q5Reference(gen: NexmarkGenerator, count: number, emit: (item: HotItem) => void): void {
  const perWindow = new Map<number, Map<number, number>>(); // window end → auction → bids
  for (let i = 0; i < count; i++) {
    const e = gen.event(i);
    if (e.kind !== 2) continue;
    const t = e.bid.dateTime;
    for (let start = Math.floor(t / 2000) * 2000; start > t - 10_000; start -= 2000) {
      let m = perWindow.get(start + 10_000);
      if (!m) perWindow.set(start + 10_000, (m = new Map()));
      m.set(e.bid.auction, (m.get(e.bid.auction) ?? 0) + 1);
    }
  }
  for (const [windowEnd, m] of perWindow) {
    let max = 0;
    for (const n of m.values()) if (n > max) max = n;
    for (const [auction, n] of m) if (n === max) emit({ auction, num: n, windowEnd });
  }
}

export function q7Reference(gen: NexmarkGenerator, count: number, emit: (bid: HighestBid) => void): void {
  const best = new Map<number, HighestBid[]>(); // window end → highest bids
  for (let i = 0; i < count; i++) {
    const e = gen.event(i);
    if (e.kind !== 2) continue;
    const b = e.bid;
    const windowEnd = Math.floor(b.dateTime / 10_000) * 10_000 + 10_000;
    const row = { auction: b.auction, price: b.price, bidder: b.bidder, dateTime: b.dateTime, windowEnd };
    const current = best.get(windowEnd);
    if (!current || b.price > current[0]!.price) best.set(windowEnd, [row]);
    else if (b.price === current[0]!.price) current.push(row);
  }
  for (const rows of best.values()) for (const row of rows) emit(row);
}

export function q8Reference(gen: NexmarkGenerator, count: number, emit: (user: NewUser) => void): void {
  const people = new Map<string, NewUser>(); // window|id → person
  const sellers = new Set<string>();
  for (let i = 0; i < count; i++) {
    const e = gen.event(i);
    if (e.kind === 0) {
      const w = Math.floor(e.person.dateTime / 10_000) * 10_000;
      people.set(`${w}|${e.person.id}`, { id: e.person.id, name: e.person.name, windowStart: w });
    } else if (e.kind === 1) sellers.add(`${Math.floor(e.auction.dateTime / 10_000) * 10_000}|${e.auction.seller}`);
  }
  for (const [k, p] of people) if (sellers.has(k)) emit(p);
}
