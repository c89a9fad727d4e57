import type { DataStream } from '../api/data-stream.ts';
import type { Schema } from './schema.ts';
import type { WatermarkClause, ParsedStatement } from './sql-text.ts';
import type { Relation } from './relation.ts';

/** A table created with DDL: its schema, its connector options and its watermark. */
export interface TableDefinition {
  name: string;
  schema: Schema;
  options: Record<string, string>;
  watermark?: WatermarkClause;
}

/** A view: a named query, planned where it is used (once per environment, then shared). */
export interface ViewDefinition {
  name: string;
  query: any;
  statement: ParsedStatement;
  script: string;
}

/** A DataStream registered as a table (`createTemporaryView(name, stream)`). */
export interface StreamTable {
  name: string;
  stream: DataStream<any>;
  schema: Schema;
}

type Entry = { kind: 'table'; def: TableDefinition } | { kind: 'view'; def: ViewDefinition } | { kind: 'stream'; def: StreamTable } | { kind: 'query'; relation: Relation };

/**
 * The names a table environment knows: DDL tables, views, registered DataStreams and named
 * query results. Names are case-sensitive, as in Flink; a lookup falls back to a unique
 * case-insensitive match.
 */
export class Catalog {
  private readonly entries = new Map<string, Entry>();

  /** Registers (or redefines) a name; statements check for an existing one first, where SQL says they must. */
  register(name: string, entry: Entry): void {
    this.entries.set(name, entry);
  }

  has(name: string): boolean {
    return this.lookup(name) !== undefined;
  }

  lookup(name: string): Entry | undefined {
    const exact = this.entries.get(name);
    if (exact) return exact;
    const matches = [...this.entries.keys()].filter((k) => k.toLowerCase() === name.toLowerCase());
    return matches.length === 1 ? this.entries.get(matches[0]!) : undefined;
  }

  drop(name: string): boolean {
    return this.entries.delete(name);
  }

  /** Every name, with what it is (SHOW TABLES). */
  list(): { name: string; kind: Entry['kind'] }[] {
    return [...this.entries].map(([name, e]) => ({ name, kind: e.kind }));
  }
}
