import { SeededRandom, type Source, type SourceReader } from '../../src/index.ts';
import type { Auction, Bid, NexmarkEvent, Person } from './model.ts';

/**
 * The Nexmark generator, following nexmark/nexmark's `NexmarkGenerator` (Flink's): event i is a
 * person, an auction or a bid by `i mod 50` (1 : 3 : 46), ids start at 1000, bids go to hot
 * auctions and come from hot bidders with the configured ratios, prices are log-uniform over
 * [1, 10^6] dollars (in cents), auctions last a random time around the in-flight horizon. Every
 * event is a pure function of (seed, i), so generation is reproducible and restartable.
 * Event time: `baseTime + i * 1e6 / rate / 1000` ms, then shifted by up to `outOfOrderMs` (events
 * stay within that bound of their in-order time, so a bounded-out-of-orderness watermark of
 * `outOfOrderMs` never makes one late). The `extra` padding strings of the original are omitted.
 */
export interface NexmarkConfig {
  /** Events per second of event time (default 10 000, as Nexmark's firstEventRate). */
  rate: number;
  baseTime: number;
  seed: number;
  outOfOrderMs: number;
  personProportion: number;
  auctionProportion: number;
  bidProportion: number;
  hotAuctionRatio: number;
  hotSellersRatio: number;
  hotBiddersRatio: number;
  numInFlightAuctions: number;
  numActivePeople: number;
}

export const defaultConfig: NexmarkConfig = {
  rate: 10_000,
  baseTime: 1_700_000_000_000,
  seed: 1,
  outOfOrderMs: 0,
  personProportion: 1,
  auctionProportion: 3,
  bidProportion: 46,
  hotAuctionRatio: 2,
  hotSellersRatio: 4,
  hotBiddersRatio: 4,
  numInFlightAuctions: 100,
  numActivePeople: 1000,
};

const FIRST_PERSON_ID = 1000;
const FIRST_AUCTION_ID = 1000;
const FIRST_CATEGORY_ID = 10;
const NUM_CATEGORIES = 5;
const ID_LEAD = 10;
const HOT_RATIO = 100;
const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
const US_CITIES = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne'];
const FIRST_NAMES = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'];
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];
const CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

export class NexmarkGenerator {
  readonly config: NexmarkConfig;
  private readonly total: number;
  private readonly random: SeededRandom;
  private readonly interEventMs: number;

  constructor(config: Partial<NexmarkConfig> = {}) {
    this.config = { ...defaultConfig, ...config };
    const c = this.config;
    this.total = c.personProportion + c.auctionProportion + c.bidProportion;
    this.random = new SeededRandom(c.seed);
    this.interEventMs = 1000 / c.rate;
  }

  /** Event i (0-based). */
  event(i: number): NexmarkEvent {
    const c = this.config;
    const r = this.random.reset(i);
    const inOrder = c.baseTime + Math.floor(i * this.interEventMs);
    const ts = c.outOfOrderMs > 0 ? inOrder - r.int(c.outOfOrderMs + 1) : inOrder;
    const rem = i % this.total;
    if (rem < c.personProportion) return { kind: 0, person: this.person(i, r, ts) };
    if (rem < c.personProportion + c.auctionProportion) return { kind: 1, auction: this.auction(i, r, ts) };
    return { kind: 2, bid: this.bid(i, r, ts) };
  }

  /** The in-order event time of event i (for latency bookkeeping). */
  inOrderTime(i: number): number {
    return this.config.baseTime + Math.floor(i * this.interEventMs);
  }

  private lastPersonId(i: number): number {
    const c = this.config;
    const epoch = Math.floor(i / this.total);
    let offset = i % this.total;
    if (offset >= c.personProportion) offset = c.personProportion - 1;
    return epoch * c.personProportion + offset;
  }

  private lastAuctionId(i: number): number {
    const c = this.config;
    let epoch = Math.floor(i / this.total);
    let offset = i % this.total;
    if (offset < c.personProportion) {
      epoch--;
      offset = c.auctionProportion - 1;
    } else if (offset >= c.personProportion + c.auctionProportion) offset = c.auctionProportion - 1;
    else offset -= c.personProportion;
    return epoch * c.auctionProportion + offset;
  }

  private nextPersonId(i: number, r: SeededRandom): number {
    const people = this.lastPersonId(i) + 1;
    const active = Math.min(people, this.config.numActivePeople);
    return people - active + r.int(active + ID_LEAD);
  }

  private nextAuctionId(i: number, r: SeededRandom): number {
    const max = this.lastAuctionId(i);
    const min = Math.max(max - this.config.numInFlightAuctions, 0);
    return min + r.int(max - min + 1 + ID_LEAD);
  }

  private person(i: number, r: SeededRandom, ts: number): Person {
    return {
      id: this.lastPersonId(i) + FIRST_PERSON_ID,
      name: `${FIRST_NAMES[r.int(FIRST_NAMES.length)]} ${LAST_NAMES[r.int(LAST_NAMES.length)]}`,
      emailAddress: `${word(r, 7)}@${word(r, 5)}.com`,
      creditCard: `${digits(r)} ${digits(r)} ${digits(r)} ${digits(r)}`,
      city: US_CITIES[r.int(US_CITIES.length)]!,
      state: US_STATES[r.int(US_STATES.length)]!,
      dateTime: ts,
    };
  }

  private auction(i: number, r: SeededRandom, ts: number): Auction {
    const c = this.config;
    const seller = r.int(c.hotSellersRatio) > 0 ? Math.floor(this.lastPersonId(i) / HOT_RATIO) * HOT_RATIO : this.nextPersonId(i, r);
    const initialBid = price(r);
    // Auctions last around the time until numInFlightAuctions more auctions have been created.
    const horizonMs = Math.max(1, Math.floor(((c.numInFlightAuctions * this.total) / c.auctionProportion) * this.interEventMs));
    return {
      id: this.lastAuctionId(i) + FIRST_AUCTION_ID,
      itemName: word(r, 20),
      description: word(r, 30),
      initialBid,
      reserve: initialBid + price(r),
      dateTime: ts,
      expires: ts + 1 + r.int(horizonMs * 2),
      seller: seller + FIRST_PERSON_ID,
      category: FIRST_CATEGORY_ID + r.int(NUM_CATEGORIES),
    };
  }

  private bid(i: number, r: SeededRandom, ts: number): Bid {
    const c = this.config;
    const auction = r.int(c.hotAuctionRatio) > 0 ? Math.floor(this.lastAuctionId(i) / HOT_RATIO) * HOT_RATIO : this.nextAuctionId(i, r);
    const bidder = r.int(c.hotBiddersRatio) > 0 ? Math.floor(this.lastPersonId(i) / HOT_RATIO) * HOT_RATIO + 1 : this.nextPersonId(i, r);
    return { auction: auction + FIRST_AUCTION_ID, bidder: bidder + FIRST_PERSON_ID, price: price(r), channel: CHANNELS[r.int(CHANNELS.length)]!, dateTime: ts };
  }

  /** A Weir source over events [0, count): subtask s of p produces i = s, s+p, …; each event carries its event time. */
  source(count: number, onGenerated?: (i: number) => void): Source<NexmarkEvent> {
    const gen = this;
    return {
      name: 'nexmark',
      hasTimestamps: true,
      // Event i is a function of i, read in batches of the runtime's batch size from the restored position.
      replaysSameBatches: true,
      createReader(subtask, parallelism): SourceReader<NexmarkEvent> {
        let produced = 0;
        const total = Math.max(0, Math.ceil((count - subtask) / parallelism));
        return {
          open() {},
          read(out, timestamps, max) {
            if (produced >= total) return -1;
            const n = Math.min(max, total - produced);
            // Written by index into arrays sized up front (as the generator source does): growing them by push cost a fifth of reading.
            const base = out.length;
            out.length = base + n;
            const tBase = timestamps ? timestamps.length : 0;
            if (timestamps) timestamps.length = tBase + n;
            for (let k = 0; k < n; k++) {
              const i = subtask + (produced + k) * parallelism;
              const e = gen.event(i);
              out[base + k] = e;
              if (timestamps) timestamps[tBase + k] = e.kind === 0 ? e.person.dateTime : e.kind === 1 ? e.auction.dateTime : e.bid.dateTime;
            }
            if (onGenerated) onGenerated(subtask + (produced + n - 1) * parallelism);
            produced += n;
            return n;
          },
          snapshot: () => produced,
          restore(p) {
            produced = typeof p === 'number' ? p : 0;
          },
          close() {},
        };
      },
    };
  }
}

/** Prices in cents, log-uniform between $1 and $1M (Nexmark's PriceGenerator). */
function price(r: SeededRandom): number {
  return Math.round(Math.pow(10, r.next() * 6) * 100);
}

function word(r: SeededRandom, maxLength: number): string {
  const n = 1 + r.int(maxLength);
  let s = '';
  for (let k = 0; k < n; k++) s += LETTERS[r.int(26)];
  return s;
}

function digits(r: SeededRandom): string {
  return String(r.int(10_000)).padStart(4, '0');
}
