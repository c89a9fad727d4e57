import type { NexmarkQuery } from './query.ts';
import type { NexmarkEvent } from './model.ts';
import { ResultDigest, mix, mixString } from '../result-digest.ts';

/**
 * Numeric row hashes for the queries with millions of output rows (hashing `query.row`'s text
 * there would cost the systems more than the query): the same fields as the row's text.
 */
const numericHash: Record<string, (row: any) => number> = {
  q0: (e: NexmarkEvent) =>
    e.kind === 0 ? mix(mix(mix(0, 0), e.person.id), e.person.dateTime) : e.kind === 1 ? mix(mix(mix(0, 1), e.auction.id), e.auction.dateTime) : mix(mix(mix(mix(mix(0, 2), e.bid.auction), e.bid.bidder), e.bid.price), e.bid.dateTime),
  q1: (b: { auction: number; bidder: number; price: number; dateTime: number }) => mix(mix(mix(mix(0, b.auction), b.bidder), b.price), b.dateTime),
};

/**
 * The result of one system on one query, as a digest of its rows: rows are hashed as they arrive,
 * or, for an updating query (one with `final`), kept and reduced to the final rows at the end.
 * Rows are compared by `query.row`'s text (or the same fields, see `numericHash`).
 */
export class QueryDigest {
  private readonly digest = new ResultDigest();
  private readonly hash: (row: unknown) => number;
  private readonly kept: unknown[] | undefined;
  /** Rows received (for an updating query: updates, before reducing to the final rows). */
  received = 0;

  constructor(private readonly query: NexmarkQuery<any>) {
    this.hash = numericHash[query.name] ?? ((row) => mixString(0, query.row(row)));
    this.kept = query.final ? [] : undefined;
  }

  /** Takes a batch of output rows. */
  add(rows: readonly unknown[]): void {
    this.received += rows.length;
    if (this.kept) for (let k = 0; k < rows.length; k++) this.kept.push(rows[k]);
    else for (let k = 0; k < rows.length; k++) this.digest.add(this.hash(rows[k]));
  }

  /** Takes one output row. */
  addRow(row: unknown): void {
    this.received++;
    if (this.kept) this.kept.push(row);
    else this.digest.add(this.hash(row));
  }

  /** The digest of the result rows (the final rows of an updating query), once every row was added. */
  result(): ResultDigest {
    if (!this.kept) return this.digest;
    const final = new ResultDigest();
    for (const row of this.query.final!(this.kept)) final.add(this.hash(row));
    return final;
  }
}
