import type { PackedColumn } from './columns.ts';

/** Most fields a record may have to be kept in columns. */
const MAX_FIELDS = 16;

/**
 * A keyed operator's values when every one is a flat record of numbers with the same fields in
 * the same order (`{ key, count }` of a keyed count): one Float64Array per field, by slot, instead
 * of an object per key. A million keys are then a few typed arrays rather than a million objects
 * in the old generation, which every major GC marks and which a checkpoint must read one by one
 * (scattered over the heap): the checkpoint copies the columns instead. The operator hands its
 * function a fresh object per record ({@link RecordColumns.read}), which dies young.
 */
export class RecordColumns {
  readonly fields: readonly string[];
  private columns: Float64Array[];
  /** Makes the object of slot `s` from the columns: a literal compiled once, so every one has the same shape. */
  private readonly make: (columns: Float64Array[], s: number) => Record<string, number>;

  private constructor(fields: string[], capacity: number) {
    this.fields = fields;
    this.columns = fields.map(() => new Float64Array(capacity));
    // Field names go in as JSON string literals: any name is safe.
    this.make = new Function('c', 's', `return { ${fields.map((f, j) => `${JSON.stringify(f)}: c[${j}][s]`).join(', ')} };`) as (columns: Float64Array[], s: number) => Record<string, number>;
  }

  /** Columns for values shaped like `v`, or undefined when `v` is not a flat record of numbers. */
  static for(v: unknown, capacity = 1024): RecordColumns | undefined {
    if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) return undefined;
    const fields = Object.keys(v);
    if (fields.length === 0 || fields.length > MAX_FIELDS) return undefined;
    for (const f of fields) if (typeof (v as Record<string, unknown>)[f] !== 'number') return undefined;
    return new RecordColumns(fields, capacity);
  }

  /** True when `v` has exactly these fields, in this order, all numbers. */
  fits(v: unknown): boolean {
    if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) return false;
    const fields = this.fields;
    let j = 0;
    for (const f in v) {
      if (f !== fields[j] || typeof (v as Record<string, unknown>)[f] !== 'number') return false;
      j++;
    }
    return j === fields.length;
  }

  /** Writes `v` (which {@link RecordColumns.fits}) at slot `s`, growing the columns as needed. */
  write(s: number, v: unknown): void {
    if (s >= this.columns[0]!.length) this.grow(s + 1);
    const fields = this.fields;
    const columns = this.columns;
    for (let j = 0; j < fields.length; j++) columns[j]![s] = (v as Record<string, number>)[fields[j]!]!;
  }

  /** A new object holding slot `s`. */
  read(s: number): Record<string, number> {
    return this.make(this.columns, s);
  }

  /** Copies of the first `n` slots, one column per field. */
  copy(n: number): { fields: string[]; columns: Float64Array[] } {
    return { fields: [...this.fields], columns: this.columns.map((c) => c.slice(0, n)) };
  }

  /** The slots `slots` as a packed column (see `PackedColumn`). */
  gather(slots: ArrayLike<number>): PackedColumn {
    const columns = this.columns.map((c) => {
      const out = new Float64Array(slots.length);
      for (let i = 0; i < slots.length; i++) out[i] = c[slots[i]!]!;
      return out;
    });
    return { fields: [...this.fields], columns };
  }

  /** The first `n` slots as objects (to leave the columns for values of any shape). */
  toValues(n: number): Array<Record<string, number>> {
    const out = new Array<Record<string, number>>(n);
    for (let s = 0; s < n; s++) out[s] = this.read(s);
    return out;
  }

  private grow(min: number): void {
    let capacity = this.columns[0]!.length * 2;
    while (capacity < min) capacity *= 2;
    this.columns = this.columns.map((c) => {
      const grown = new Float64Array(capacity);
      grown.set(c);
      return grown;
    });
  }
}
