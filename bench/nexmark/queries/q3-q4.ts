import { ValueStateDescriptor, ListStateDescriptor, type KeyedCoProcessFunction, type ValueState, type RuntimeContext, type KeyedProcessContext, type OnTimerContext, type ProcessCollector } from '../../../src/index.ts';
import type { NexmarkQuery } from '../query.ts';
import type { Auction, Bid, Person } from '../model.ts';
import { q3Reference, q4Reference, type LocalItem, type CategoryAverage } from '../references/q3-q4.ts';

const person = new ValueStateDescriptor<Person>('person');
const waiting = new ListStateDescriptor<Auction>('auctions-waiting-for-seller');

/** Incremental join: each auction meets its seller whenever both have arrived, in either order. */
const sellerJoin: KeyedCoProcessFunction<number, Person, Auction, LocalItem> = {
  processElement1(p, ctx, out) {
    ctx.getState(person).update(p);
    const list = ctx.getListState(waiting);
    for (const a of list.get()) out.collect({ name: p.name, city: p.city, state: p.state, id: a.id });
    list.clear();
  },
  processElement2(a, ctx, out) {
    const p = ctx.getState(person).value();
    if (p) out.collect({ name: p.name, city: p.city, state: p.state, id: a.id });
    else ctx.getListState(waiting).add(a);
  },
};

/** q3 local item suggestion: auctions in category 10 by sellers in OR, ID or CA (an incremental join). */
export const q3: NexmarkQuery<LocalItem> = {
  name: 'q3',
  description: 'local item suggestion (incremental join)',
  build: (events) => {
    const persons = events.filter((e) => e.kind === 0 && (e.person.state === 'OR' || e.person.state === 'ID' || e.person.state === 'CA'), 'q3:persons').map((e) => (e as { person: Person }).person);
    const auctions = events.filter((e) => e.kind === 1 && e.auction.category === 10, 'q3:auctions').map((e) => (e as { auction: Auction }).auction);
    return persons.connect(auctions).keyBy((p) => p.id, (a) => a.seller).process(sellerJoin, 'q3:join');
  },
  reference: q3Reference,
  row: (r) => `${r.id}|${r.name}|${r.city}|${r.state}`,
};

/** Per auction: the auction once seen, its highest valid bid, bids that came before it, and whether it closed. */
interface AuctionBids {
  auction?: Auction;
  max?: number;
  early?: Bid[];
  closed?: boolean;
}

/** Winning bid per auction: the highest bid between its start and expiry, emitted when it expires (event time). */
class WinningBid implements KeyedCoProcessFunction<number, Auction, Bid, { category: number; price: number }> {
  private state!: ValueState<AuctionBids>;

  open(ctx: RuntimeContext): void {
    this.state = ctx.getState(new ValueStateDescriptor<AuctionBids>('auction-bids'));
  }

  processElement1(a: Auction, ctx: KeyedProcessContext<number>): void {
    const s = this.state.value() ?? {};
    let max = s.max;
    for (const b of s.early ?? []) if (b.dateTime >= a.dateTime && b.dateTime <= a.expires && (max === undefined || b.price > max)) max = b.price;
    this.state.update({ auction: a, max });
    ctx.timerService().registerEventTimeTimer(a.expires);
  }

  processElement2(b: Bid): void {
    const s = this.state.value();
    if (s?.closed) return;
    if (!s?.auction) {
      this.state.update({ early: [...(s?.early ?? []), b] });
      return;
    }
    if (b.dateTime < s.auction.dateTime || b.dateTime > s.auction.expires) return;
    if (s.max === undefined || b.price > s.max) this.state.update({ auction: s.auction, max: b.price });
  }

  onTimer(_t: number, _ctx: OnTimerContext<number>, out: ProcessCollector<{ category: number; price: number }>): void {
    const s = this.state.value()!;
    if (s.max !== undefined) out.collect({ category: s.auction!.category, price: s.max });
    this.state.update({ closed: true });
  }
}

/** q4 average price per category: the mean winning bid of closed auctions (join + event-time close + running average). */
export const q4: NexmarkQuery<CategoryAverage> = {
  name: 'q4',
  description: 'average winning price per category (join + close on expiry)',
  build: (events) => {
    const auctions = events.filter((e) => e.kind === 1, 'q4:auctions').map((e) => (e as { auction: Auction }).auction);
    const bids = events.filter((e) => e.kind === 2, 'q4:bids').map((e) => (e as { bid: Bid }).bid);
    return auctions
      .connect(bids)
      .keyBy((a) => a.id, (b) => b.auction)
      .process(new WinningBid(), 'q4:winning-bids')
      .map((w) => ({ category: w.category, sum: w.price, count: 1, average: w.price }), 'q4:seed')
      .keyBy((w) => w.category)
      .reduce((acc, w) => ({ category: acc.category, sum: acc.sum + w.sum, count: acc.count + w.count, average: (acc.sum + w.sum) / (acc.count + w.count) }), 'q4:average');
  },
  reference: q4Reference,
  row: (r) => `${r.category}|${r.count}|${r.average}`,
  final: (outputs) => [...new Map(outputs.map((o) => [o.category, o] as const)).values()],
};
