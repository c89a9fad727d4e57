import type { NexmarkGenerator } from '../generator.ts';
import type { Auction, Person } from '../model.ts';

export interface LocalItem {
  name: string;
  city: string;
  state: string;
  id: number;
}

export interface CategoryAverage {
  category: number;
  sum: number;
  count: number;
  average: number;
}

export function q3Reference(gen: NexmarkGenerator, count: number, emit: (item: LocalItem) => void): void {
  const people = new Map<number, Person>();
  const auctions: Auction[] = [];
  for (let i = 0; i < count; i++) {
    const e = gen.event(i);
    if (e.kind === 0 && (e.person.state === 'OR' || e.person.state === 'ID' || e.person.state === 'CA')) people.set(e.person.id, e.person);
    else if (e.kind === 1 && e.auction.category === 10) auctions.push(e.auction);
  }
  for (const a of auctions) {
    const p = people.get(a.seller);
    if (p) emit({ name: p.name, city: p.city, state: p.state, id: a.id });
  }
}

export function q4Reference(gen: NexmarkGenerator, count: number, emit: (average: CategoryAverage) => void): void {
  const auctions = new Map<number, Auction>();
  const bids: Array<[number, number, number]> = [];
  for (let i = 0; i < count; i++) {
    const e = gen.event(i);
    if (e.kind === 1) auctions.set(e.auction.id, e.auction);
    else if (e.kind === 2) bids.push([e.bid.auction, e.bid.dateTime, e.bid.price]);
  }
  const winning = new Map<number, number>();
  for (const [id, at, price] of bids) {
    const a = auctions.get(id);
    if (!a || at < a.dateTime || at > a.expires) continue;
    if (!(winning.get(id)! >= price)) winning.set(id, price);
  }
  const perCategory = new Map<number, [number, number]>();
  for (const [id, price] of winning) {
    const c = auctions.get(id)!.category;
    const s = perCategory.get(c) ?? [0, 0];
    perCategory.set(c, [s[0] + price, s[1] + 1]);
  }
  for (const [category, [sum, n]] of perCategory) emit({ category, sum, count: n, average: sum / n });
}
