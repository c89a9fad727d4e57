/**
 * A column of state values packed for a snapshot (see `GroupedColumns`). Numbers become one Float64Array, or an Int32Array when all are 32-bit integers (msgpackr
 * writes it as a single binary run, no per-value work), and flat records whose fields are all
 * numbers, with the same fields in the same order (`{ key, count }` of a keyed count), one
 * such array per field. Anything else stays an array. Packing 1M `{ key, count }` objects
 * this way costs a fraction of packing them as maps or msgpackr records.
 */
export type PackedColumn = unknown[] | NumberColumn | { fields: string[]; columns: NumberColumn[] };

/** Numbers of a packed column: an Int32Array when every one is a 32-bit integer (half the bytes), else a Float64Array. */
export type NumberColumn = Float64Array | Int32Array;

/** The values of a packed column, as an array. */
export function unpackColumn(col: PackedColumn): unknown[] {
  if (Array.isArray(col)) return col;
  if (col instanceof Float64Array || col instanceof Int32Array) return Array.from(col);
  const { fields, columns } = col;
  const n = columns[0]?.length ?? 0;
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) {
    const v: Record<string, number> = {};
    for (let j = 0; j < fields.length; j++) v[fields[j]!] = columns[j]![i]!;
    out[i] = v;
  }
  return out;
}
