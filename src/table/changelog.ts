/**
 * The kind of a change in a changelog stream, as Flink's RowKind prints it: insert,
 * update-before (retracts the previous row of a key), update-after, delete.
 */
export type RowKind = '+I' | '-U' | '+U' | '-D';

/**
 * One change of an updating table: what `toChangelogStream` yields and upsert sinks apply.
 * @example
 * ```ts
 * tableEnv.toChangelogStream(tableEnv.sqlQuery('SELECT page, COUNT(*) AS n FROM clicks GROUP BY page')).map((c) => `${c.kind} ${c.row.page} ${c.row.n}`)
 * ```
 */
export interface Change<T = Record<string, unknown>> {
  kind: RowKind;
  row: T;
}

/**
 * Folds a changelog into the table it describes: the current rows, keyed by `key` (the upsert
 * key), or a multiset of rows when there is none. What an upsert sink ends up holding.
 * @example
 * ```ts
 * materialize(changes, (r) => String(r.page)) // Map page → row
 * ```
 */
export function materialize<T>(changes: Iterable<Change<T>>, key: (row: T) => string): Map<string, T> {
  const table = new Map<string, T>();
  for (const c of changes) {
    if (c.kind === '+I' || c.kind === '+U') table.set(key(c.row), c.row);
    else if (c.kind === '-D') table.delete(key(c.row));
  }
  return table;
}
