import type { NumberColumn, PackedColumn } from './columns.ts';
import type { RecordColumns } from './record-columns.ts';

/** A copy of a {@link RecordColumns}' columns (`copy()`): one Float64Array per field, by slot. */
export type FieldColumns = ReturnType<RecordColumns['copy']>;

/** Slots scanned per {@link GroupedColumns.prepare} step: ~1.5 ms of CPU (65 536 took 5-6 ms, several batches of records waiting). */
const SLOTS_PER_STEP = 1 << 14;

/**
 * How a column is laid out while it is regrouped: numbers, flat records of numbers, or anything.
 * `int`: every number so far is a 32-bit integer, kept in Int32Arrays (half the bytes to write, pack and store).
 */
type Layout = { kind: 'number'; int: boolean } | { kind: 'fields'; fields: string[]; int: boolean } | { kind: 'any' };

/** Whether `x` survives an Int32Array unchanged (-0 does not). */
const isInt32 = (x: number) => (x | 0) === x && (x !== 0 || 1 / x > 0);

/**
 * A key column and a value column (in slot order, with each slot's key group) regrouped by key
 * group for a checkpoint, in steps. Numbers and flat all-number records go into one Float64Array
 * per field, laid out group after group, so a group's part is a view; other values into an array
 * per group. The scan reads slots in order (values allocated in that order sit together in memory),
 * writing into one stream per group, which costs far less than gathering each group's slots.
 * Only groups in `wanted` are kept.
 */
export class GroupedColumns {
  private readonly start: Int32Array;
  private cursor: Int32Array;
  private scanned = 0;
  /** Slots counted per group so far (the first phase of {@link GroupedColumns.prepare}). */
  private counted = 0;
  private readonly seen: Uint8Array;
  private keyLayout: Layout;
  private valueLayout: Layout;
  private keyCols: NumberColumn[] = [];
  private valueCols: NumberColumn[] = [];
  private keyLists: unknown[][] = [];
  private valueLists: unknown[][] = [];
  /** Key groups holding state, ascending. */
  readonly present: number[] = [];

  /**
   * The first `n` slots of the columns. `keys` and `groups` may be the operator's own arrays,
   * since it only appends to them (slot contents never change); `values` must be a copy.
   */
  constructor(
    private readonly keys: readonly unknown[],
    /** The values by slot: objects, or (a copy of) a {@link RecordColumns}' columns. */
    values: readonly unknown[] | FieldColumns,
    private readonly groups: Uint16Array,
    private readonly n: number,
    private readonly maxParallelism: number,
    private readonly wanted: Uint8Array,
    /** When `values` is the live column: the values at the barrier of slots overwritten since (slot `s`'s at `old[savedAt[s] - 1]`; 0: not overwritten). */
    private readonly overwritten?: { savedAt: Int32Array; old: readonly unknown[] },
  ) {
    this.start = new Int32Array(maxParallelism + 1);
    this.cursor = new Int32Array(maxParallelism);
    this.seen = new Uint8Array(maxParallelism);
    this.keyLayout = layoutOf(keys[0]);
    if (Array.isArray(values)) {
      this.values = values;
      this.valueLayout = layoutOf(values[0]);
    } else {
      const columns = values as FieldColumns;
      this.values = [];
      this.valueColumns = columns;
      this.valueLayout = { kind: 'fields', fields: columns.fields, int: columns.columns.every((c) => c.length === 0 || isInt32(c[0]!)) };
    }
  }

  private readonly values: readonly unknown[];
  private readonly valueColumns: FieldColumns | undefined;

  /** Counts, then scans, the next slots; true once every slot is in its group. */
  prepare(): boolean {
    const n = this.n;
    const { groups, wanted } = this;
    if (this.counted < n) {
      const end = Math.min(n, this.counted + SLOTS_PER_STEP * 4);
      const start = this.start;
      const seen = this.seen;
      for (let s = this.counted; s < end; s++) {
        const g = groups[s]!;
        seen[g] = 1;
        if (wanted[g] === 1) start[g + 1]!++;
      }
      this.counted = end;
      if (end < n) return false;
      for (let g = 0; g < this.maxParallelism; g++) {
        start[g + 1]! += start[g]!;
        if (seen[g] === 1) this.present.push(g);
      }
      this.cursor = start.slice(0, this.maxParallelism);
      this.allocate();
      return n === 0;
    }
    const { cursor } = this;
    const end = Math.min(n, this.scanned + SLOTS_PER_STEP);
    for (let s = this.scanned; s < end; s++) {
      const g = groups[s]!;
      if (wanted[g] !== 1) continue;
      const at = cursor[g]!++;
      const vc = this.valueColumns;
      if (!this.put(this.keyLayout, this.keyCols, this.keyLists, g, at, this.keys[s]) || !(vc === undefined ? this.put(this.valueLayout, this.valueCols, this.valueLists, g, at, this.valueAt(s)) : this.putFromColumns(vc, s, at))) {
        // A value the layout cannot hold: start again with that column widened (integers to numbers, else plain values).
        if (!fits(this.keyLayout, this.keys[s])) this.keyLayout = widen(this.keyLayout, this.keys[s]);
        else this.valueLayout = widen(this.valueLayout, vc === undefined ? this.valueAt(s) : Object.fromEntries(vc.fields.map((f, j) => [f, vc.columns[j]![s]!])));
        this.scanned = 0;
        this.cursor.set(this.start.subarray(0, this.cursor.length));
        this.allocate();
        return false;
      }
    }
    this.scanned = end;
    return end === n;
  }

  /** The value slot `s` held at the barrier. */
  private valueAt(s: number): unknown {
    const o = this.overwritten;
    if (o === undefined) return this.values[s];
    const at = o.savedAt[s]!;
    return at === 0 ? this.values[s] : o.old[at - 1];
  }

  /** Key group `g`'s `[g, keys, values]` (after {@link GroupedColumns.prepare} returned true). */
  part(g: number): [number, PackedColumn, PackedColumn] {
    return [g, this.column(this.keyLayout, this.keyCols, this.keyLists, g), this.column(this.valueLayout, this.valueCols, this.valueLists, g)];
  }

  private column(layout: Layout, cols: NumberColumn[], lists: unknown[][], g: number): PackedColumn {
    if (layout.kind === 'any') return lists[g] ?? [];
    const from = this.start[g]!;
    const to = this.start[g + 1]!;
    if (layout.kind === 'number') return cols[0]!.subarray(from, to);
    return { fields: layout.fields, columns: cols.map((c) => c.subarray(from, to)) };
  }

  private allocate(): void {
    const total = this.start[this.start.length - 1]!;
    const array = (layout: Layout): NumberColumn => (layout.kind !== 'any' && layout.int ? new Int32Array(total) : new Float64Array(total));
    const make = (layout: Layout) => (layout.kind === 'number' ? [array(layout)] : layout.kind === 'fields' ? layout.fields.map(() => array(layout)) : []);
    this.keyCols = make(this.keyLayout);
    this.valueCols = make(this.valueLayout);
    this.keyLists = [];
    this.valueLists = [];
  }

  /** Copies slot `s` of the value columns to `at`; false when the layout (32-bit integers) cannot hold it. */
  private putFromColumns(vc: FieldColumns, s: number, at: number): boolean {
    const layout = this.valueLayout as { kind: 'fields'; int: boolean };
    const cols = this.valueCols;
    const from = vc.columns;
    for (let j = 0; j < from.length; j++) {
      const x = from[j]![s]!;
      if (layout.int && !isInt32(x)) return false;
      cols[j]![at] = x;
    }
    return true;
  }

  /** Writes `v` at `at` (its group's next position); false when the layout cannot hold it. */
  private put(layout: Layout, cols: NumberColumn[], lists: unknown[][], g: number, at: number, v: unknown): boolean {
    if (layout.kind === 'number') {
      if (typeof v !== 'number' || (layout.int && !isInt32(v))) return false;
      cols[0]![at] = v;
      return true;
    }
    if (layout.kind === 'any') {
      (lists[g] ??= []).push(v);
      return true;
    }
    if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) return false;
    const fields = layout.fields;
    let j = 0;
    for (const f in v) {
      // Same field names in the same order, all numbers: anything else keeps the column as values.
      const x = (v as Record<string, unknown>)[f];
      if (f !== fields[j] || typeof x !== 'number' || (layout.int && !isInt32(x))) return false;
      cols[j++]![at] = x;
    }
    return j === fields.length;
  }
}

function layoutOf(v: unknown): Layout {
  if (typeof v === 'number') return { kind: 'number', int: isInt32(v) };
  if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
    const fields = Object.keys(v);
    const numbers = fields.map((f) => (v as Record<string, unknown>)[f]);
    if (fields.length > 0 && fields.length <= 16 && numbers.every((x) => typeof x === 'number')) return { kind: 'fields', fields, int: numbers.every((x) => isInt32(x as number)) };
  }
  return { kind: 'any' };
}

function fits(layout: Layout, v: unknown): boolean {
  if (layout.kind === 'any') return true;
  const l = layoutOf(v);
  if (l.kind !== layout.kind || (layout.int && !(l as { int: boolean }).int)) return false;
  return layout.kind === 'number' || (l as { fields: string[] }).fields.join('\u0000') === layout.fields.join('\u0000');
}

/** The layout that holds what `layout` held and `v` too: integers widen to numbers, anything else to plain values. */
function widen(layout: Layout, v: unknown): Layout {
  if (layout.kind !== 'any' && layout.int) {
    const wider = { ...layout, int: false };
    if (fits(wider, v)) return wider;
  }
  return { kind: 'any' };
}
