import { SlidingEventTimeWindows, TumblingEventTimeWindows, MapStateDescriptor, type KeyedProcessFunction, type AggregateFunction } from '../../../src/index.ts';
import type { NexmarkQuery } from '../query.ts';
import type { Bid, Person, Auction } from '../model.ts';
import { q5Reference, q7Reference, q8Reference, type HotItem, type HighestBid, type NewUser } from '../references/q5-q8.ts';

const count: AggregateFunction<Bid, number, number> = { createAccumulator: () => 0, add: (_b, n) => n + 1, getResult: (n) => n, merge: (a, b) => a + b };

/** Per window end, the rows with the highest value, emitted once the watermark passes the window. */
function maxPerWindow<T>(value: (row: T) => number): KeyedProcessFunction<number, T, T> {
  const best = new MapStateDescriptor<string, T[]>('best');
  return {
    processElement(row, ctx) {
      const state = ctx.getMapState(best);
      const current = state.get('rows');
      if (!current || value(row) > value(current[0]!)) state.put('rows', [row]);
      else if (value(row) === value(current[0]!)) state.put('rows', [...current, row]);
      ctx.timerService().registerEventTimeTimer(ctx.currentKey);
    },
    onTimer(_t, ctx, out) {
      for (const row of ctx.getMapState(best).get('rows') ?? []) out.collect(row);
      ctx.getMapState(best).clear();
    },
  };
}

/** q5 hot items: per 10 s window sliding every 2 s, the auctions with the most bids. */
export const q5: NexmarkQuery<HotItem> = {
  name: 'q5',
  description: 'hot items (sliding window 10 s / 2 s)',
  build: (events) =>
    events
      .filter((e) => e.kind === 2, 'q5:bids')
      .map((e) => (e as { bid: Bid }).bid)
      .keyBy((b) => b.auction)
      .window(SlidingEventTimeWindows.of(10_000, 2_000))
      .aggregate<number, number, HotItem>(count, (auction, [n], ctx, out) => out.emit({ auction, num: n!, windowEnd: ctx.window.end }, ctx.window.end - 1), 'q5:count')
      .keyBy((h) => h.windowEnd - 1)
      .process(maxPerWindow<HotItem>((h) => h.num), 'q5:max'),
  reference: q5Reference,
  row: (h) => `${h.windowEnd}|${h.auction}|${h.num}`,
};

/** The bids with the highest price so far (ties kept). */
const highest: AggregateFunction<Bid, Bid[], Bid[]> = {
  createAccumulator: () => [],
  add: (b, best) => {
    if (best.length === 0 || b.price > best[0]!.price) return [b];
    if (b.price === best[0]!.price) best.push(b);
    return best;
  },
  getResult: (best) => best,
  merge: (a, b) => (a.length === 0 ? b : b.length === 0 ? a : a[0]!.price > b[0]!.price ? a : b[0]!.price > a[0]!.price ? b : [...a, ...b]),
};

/** q7 highest bid: per 10 s tumbling window, the bids with the highest price (partial maxima over 16 key groups, then global). */
export const q7: NexmarkQuery<HighestBid> = {
  name: 'q7',
  description: 'highest bid (tumbling window 10 s)',
  build: (events) =>
    events
      .filter((e) => e.kind === 2, 'q7:bids')
      .map((e) => (e as { bid: Bid }).bid)
      .keyBy((b) => b.auction % 16)
      .window(TumblingEventTimeWindows.of(10_000))
      .aggregate<Bid[], Bid[], HighestBid>(
        highest,
        (_part, [best], ctx, out) => {
          for (const b of best!) out.emit({ auction: b.auction, price: b.price, bidder: b.bidder, dateTime: b.dateTime, windowEnd: ctx.window.end }, ctx.window.end - 1);
        },
        'q7:partial-max',
      )
      .keyBy((h) => h.windowEnd - 1)
      .process(maxPerWindow<HighestBid>((h) => h.price), 'q7:max'),
  reference: q7Reference,
  row: (h) => `${h.windowEnd}|${h.auction}|${h.bidder}|${h.price}|${h.dateTime}`,
};

type Tagged = { person: Person | undefined; auction: Auction | undefined };

/** Per person and window: the person (if they registered in it) and whether they sold in it. */
const registeredAndSold: AggregateFunction<Tagged, { person: Person | undefined; sold: boolean }, { person: Person | undefined; sold: boolean }> = {
  createAccumulator: () => ({ person: undefined, sold: false }),
  add: (t, acc) => {
    if (t.person) acc.person = t.person;
    else acc.sold = true;
    return acc;
  },
  getResult: (acc) => acc,
  merge: (a, b) => ({ person: a.person ?? b.person, sold: a.sold || b.sold }),
};

/** q8 monitor new users: people who created an auction in the same 10 s window they registered in (a window join). */
export const q8: NexmarkQuery<NewUser> = {
  name: 'q8',
  description: 'monitor new users (window join person ⋈ auction)',
  build: (events) => {
    const persons = events.filter((e) => e.kind === 0, 'q8:persons').map((e): Tagged => ({ person: (e as { person: Person }).person, auction: undefined }));
    const auctions = events.filter((e) => e.kind === 1, 'q8:auctions').map((e): Tagged => ({ person: undefined, auction: (e as { auction: Auction }).auction }));
    return persons
      .union(auctions)
      .keyBy((t) => (t.person ? t.person.id : t.auction!.seller))
      .window(TumblingEventTimeWindows.of(10_000))
      .aggregate<{ person: Person | undefined; sold: boolean }, { person: Person | undefined; sold: boolean }, NewUser>(
        registeredAndSold,
        (_id, [r], ctx, out) => {
          // The join's inner semantics: registered and sold within the same window (distinct per person and window).
          if (r!.person && r!.sold) out.emit({ id: r!.person.id, name: r!.person.name, windowStart: ctx.window.start }, ctx.window.end - 1);
        },
        'q8:join',
      );
  },
  reference: q8Reference,
  row: (u) => `${u.windowStart}|${u.id}|${u.name}`,
};
