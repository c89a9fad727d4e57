import type { DataStream } from '../api/data-stream.ts';
import type { Column } from './schema.ts';
import type { ScopeEntry } from './expressions.ts';
import type { BoundedJoinSpec } from './bounded-join.ts';
import type { WindowAssigner } from '../windows/assigners/window-assigner.ts';

/** A window TVF not yet aggregated: the rows of `input` plus virtual window columns. */
export interface WindowTvf {
  kind: 'TUMBLE' | 'HOP' | 'SESSION';
  assigner: WindowAssigner;
  /** Text for EXPLAIN, e.g. `HOP(size=10000ms, slide=2000ms)`. */
  describe: string;
  sessionPartition?: string[];
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
}

/** A relation whose records are plain rows with these columns. */
export function rowRelation(stream: DataStream<any>, columns: Column[], alias: string | undefined, extra: Partial<Relation> = {}): Relation {
  return { stream, entries: [{ alias, columns, access: 'r' }], columns, changelog: false, ...extra };
}
