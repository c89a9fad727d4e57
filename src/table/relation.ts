import type { DataStream } from '../api/data-stream.ts';
import type { Column } from './schema.ts';
import type { ScopeEntry, Constants } from './expressions.ts';
import type { BoundedJoinSpec } from './bounded-join.ts';
import type { WindowAggregateSpec } from './window-join.ts';
import type { WindowAssigner } from '../windows/assigners/window-assigner.ts';

/** A window TVF not yet aggregated: the rows of `input` plus virtual window columns. */
export interface WindowTvf {
  kind: 'TUMBLE' | 'HOP' | 'SESSION';
  assigner: WindowAssigner;
  /** Text for EXPLAIN, e.g. `HOP(size=10000ms, slide=2000ms)`. */
  describe: string;
  sessionPartition?: string[];
  /** TUMBLE's size and offset. */
  tumble?: { size: number; offset: number };
}

/**
 * A planned relation: a DataStream and how to read its records. The records are plain rows
 * (`entries` = one entry with access `r`), tuples of rows after a join (`r[0]`, `r[1]`), or
 * {@link Change}s when `changelog` is set.
 */
export interface Relation {
  stream: DataStream<any>;
  /** How expressions see a record: one entry per joined input. */
  entries: ScopeEntry[];
  /** The output columns, in order (what `SELECT *` yields). */
  columns: Column[];
  /** The column equal to each record's event timestamp (the time attribute), if any. */
  rowtime?: string;
  /** Records are `{ kind, row }` changes (an updating table). */
  changelog: boolean;
  /** The declared primary key (a versioned table for temporal joins needs one). */
  primaryKey?: string[];
  /** The key of an updating table's rows (the GROUP BY columns). */
  upsertKey?: string[];
  /** Set while the relation is a window TVF's output that a GROUP BY or Top-N will consume. */
  window?: WindowTvf;
  /**
   * The column holding each row's window end when rows are final per window (a window
   * aggregation's output, timestamped window end − 1): Top-N and joins on it can close windows.
   */
  windowEnd?: string;
  /** Set on a bounded join's output (its stream is then built on first read): a GROUP BY may fuse with it. */
  boundedJoin?: BoundedJoinSpec;
  /**
   * Set on a projection (with its filters) not yet run: a further projection or filter fuses into
   * it, compiling over `input`'s records, so a chain of them is one map (no row copied per step).
   * The relation's `stream` runs the projection when read.
   */
  fusable?: FusableProjection;
  /** Set on a TUMBLE aggregation's output (its stream is then built on first read): a window join may fuse two. */
  windowAggregate?: WindowAggregateSpec;
}

/** Stands for the input record in the code of {@link FusableProjection} columns. */
export const RECORD = '\u0001';

/** A projection over `input`'s records: `entries` columns carry `inline` code over {@link RECORD}. */
export interface FusableProjection {
  input: Relation;
  entries: ScopeEntry[];
  /** The constants the columns' code refers to (shared by whatever fuses into it). */
  k: Constants;
}

/** A relation whose `stream` is built on first read (`{ ...rel }` reads it: use {@link copyRelation}). */
export function lazyRelation(rel: Omit<Relation, 'stream'>, build: () => DataStream<any>): Relation {
  let built: DataStream<any> | undefined;
  const out = { ...rel } as Relation;
  Object.defineProperty(out, 'stream', { enumerable: true, configurable: true, get: () => (built ??= build()) });
  return out;
}

/** `{ ...rel, ...changes }` that leaves a lazy `stream` unbuilt. */
export function copyRelation(rel: Relation, changes: Partial<Relation>): Relation {
  const out = Object.defineProperties({}, Object.getOwnPropertyDescriptors(rel)) as Relation;
  for (const [k, v] of Object.entries(changes)) Object.defineProperty(out, k, { value: v, enumerable: true, configurable: true, writable: true });
  return out;
}

/** A relation whose records are plain rows with these columns. */
export function rowRelation(stream: DataStream<any>, columns: Column[], alias: string | undefined, extra: Partial<Relation> = {}): Relation {
  return { stream, entries: [{ alias, columns, access: 'r' }], columns, changelog: false, ...extra };
}
