/**
 * SQL types as Weir rows carry them: numbers for every numeric type and for TIMESTAMP (epoch ms),
 * strings, booleans, and nested ROWs as plain objects.
 */
export type SqlType =
  | { kind: 'number'; sql: string }
  | { kind: 'string'; sql: string }
  | { kind: 'boolean'; sql: string }
  | { kind: 'timestamp'; sql: string }
  | { kind: 'row'; sql: string; fields: Column[] }
  | { kind: 'any'; sql: string };

/** One column of a table or of a query's result. */
export interface Column {
  name: string;
  type: SqlType;
  /** A computed column: its SQL expression (AST) over the other columns, evaluated where it is read. */
  computed?: any;
  /** In a fusable projection's scope: the column's generated code over the input record (see `RECORD`). */
  inline?: string;
}

/** The columns of a table, which of them is its event-time attribute, and its primary key. */
export interface Schema {
  columns: Column[];
  /** The event-time attribute: records' timestamps are this column's values. */
  rowtime?: string;
  primaryKey?: string[];
}

/** The TypeScript type of a row of SQL type `T` (for typed rows: `Row<{ id: 'BIGINT' }>`). */
export type SqlValue<T extends string> = T extends 'BOOLEAN' ? boolean : T extends 'STRING' | `VARCHAR${string}` | 'TEXT' | `CHAR${string}` ? string : number;

/**
 * A typed row from a column → SQL type map.
 * @example
 * ```ts
 * type Bid = Row<{ auction: 'BIGINT'; price: 'BIGINT'; channel: 'STRING' }> // { auction: number; price: number; channel: string }
 * ```
 */
export type Row<S extends Record<string, string>> = { [K in keyof S]: SqlValue<S[K] & string> };

const NUMERIC = ['TINYINT', 'SMALLINT', 'INT', 'INTEGER', 'BIGINT', 'FLOAT', 'REAL', 'DOUBLE', 'DOUBLE PRECISION', 'DECIMAL', 'NUMERIC'];

/** A SQL type from its name as written (`BIGINT`, `VARCHAR`, `TIMESTAMP`…); undefined if unknown. */
export function sqlType(name: string): SqlType | undefined {
  const n = name.toUpperCase();
  if (NUMERIC.includes(n)) return { kind: 'number', sql: n };
  if (n === 'TEXT' || n === 'STRING' || n === 'VARCHAR' || n === 'CHAR' || n === 'CHARACTER VARYING') return { kind: 'string', sql: 'STRING' };
  if (n === 'BOOLEAN' || n === 'BOOL') return { kind: 'boolean', sql: 'BOOLEAN' };
  if (n === 'TIMESTAMP' || n === 'TIMESTAMP_LTZ' || n === 'TIMESTAMPTZ') return { kind: 'timestamp', sql: 'TIMESTAMP(3)' };
  return undefined;
}

/** The types expressions and results are typed with (integral numbers print as BIGINT). */
export const NUMBER: SqlType = { kind: 'number', sql: 'BIGINT' };
export const DOUBLE: SqlType = { kind: 'number', sql: 'DOUBLE' };
export const STRING: SqlType = { kind: 'string', sql: 'STRING' };
export const BOOLEAN: SqlType = { kind: 'boolean', sql: 'BOOLEAN' };
export const TIMESTAMP: SqlType = { kind: 'timestamp', sql: 'TIMESTAMP(3)' };
export const ANY: SqlType = { kind: 'any', sql: 'ANY' };

/** `name TYPE, …` for EXPLAIN and the shell. */
export function describeColumns(columns: Column[]): string {
  return columns.map((c) => `${c.name} ${c.type.sql}`).join(', ');
}
