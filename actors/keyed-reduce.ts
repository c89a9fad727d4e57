import { reserveOutput, trimOutput, type BatchOut, type Operator, type OperatorContext } from '../src/runtime/operator.ts';
import { InvalidJobError, UserFunctionError } from '../src/errors.ts';
import { keyGroupOf, keyGroupRangeForOperator } from '../src/state/key-groups.ts';
import { KeyIndex } from '../src/state/key-index.ts';
import { unpackColumn, type PackedColumn } from '../src/state/columns.ts';
import { GroupedColumns } from '../src/state/grouped-columns.ts';
import { RecordColumns } from '../src/state/record-columns.ts';
import type { CheckpointParts } from '../src/checkpoint/checkpoint-parts.ts';

/**
 * Keyed state written per key group, so it can be restored at another parallelism. Each group is
 * columnar, `[group, keys, values]`: no pair array per entry to build or pack (snapshots of a
 * running reduce are on the hot path of one-actor recovery). Earlier snapshots wrote
 * `[group, [[key, value], …]]`; restore reads both.
 */
interface KeyedSnapshot<K, T> {
  maxParallelism: number;
  groups: Array<[number, K[], T[]] | [number, Array<[K, T]>] | [number, PackedColumn, PackedColumn]>;
}

/**
 * Reduce calls that must each return a new value before local snapshots keep values by reference:
 * a reduce that changes its accumulator in place does so from its first calls.
 */
const BY_REFERENCE_PROBATION = 1024;

/**
 * Keys from which values that are flat records of numbers move into columns: below, objects cost
 * less per record (a 10k-key count ran ~18% slower in columns, which make an object per record to
 * hand the reduce); above, a million objects in the old generation cost far more (GC marking
 * them, a checkpoint reading them scattered over the heap).
 */
const COLUMNS_FROM_KEYS = 1 << 16;

/** True when one of the first `sample` values holds an object (a part that could be changed in place while the value is shared). */
function someNested(values: readonly unknown[], sample: number): boolean {
  for (let n = 0; n < values.length && n < sample; n++) {
    const v = values[n];
    if (typeof v !== 'object' || v === null) continue;
    if (v instanceof Map || v instanceof Set || ArrayBuffer.isView(v)) return true;
    for (const part of Array.isArray(v) ? v : Object.values(v)) if (typeof part === 'object' && part !== null) return true;
  }
  return false;
}

/** A delta: the keys changed since the previous local snapshot and their values, in two columns (values packed when kept in columns). */
type KeyedDelta<K, T> = [K[], T[] | PackedColumn];

/**
 * A keyed running reduce (Flink's `KeyedStream.reduce`): for every record, combines it with the
 * key's current value and emits the new value. State is a slot per key (a {@link KeyIndex} key →
 * slot, and the values in an array by slot): the hot path does one index lookup and an array write
 * per record and allocates nothing (a get and a set on a Map cost a lookup more). Past
 * `COLUMNS_FROM_KEYS` keys, values that are flat records of numbers of one shape are kept in
 * columns instead ({@link RecordColumns}), until one is not: then as objects from then on.
 * @example
 * ```ts
 * new KeyedReduce('count', (r: { k: string; n: number }) => r.k, (a, b) => ({ k: a.k, n: a.n + b.n }))
 * ```
 */
export class KeyedReduce<T, K> implements Operator<T, T> {
  readonly name: string;
  readonly stateful = true;
  private readonly key: (value: T) => K;
  private readonly reduce: (acc: T, value: T) => T;
  private slots = new KeyIndex<K>();
  private keyAt: K[] = [];
  private valueAt: T[] = [];
  /** The values, while every one is a flat record of numbers of one shape (`valueAt` is then unused). */
  private record: RecordColumns | undefined;
  /** A value did not fit the columns: values are objects until the state is cleared. */
  private objects = false;
  /** Slots updated since the last local snapshot, each once: `markedIn[slot] === epoch` says it is listed. */
  private dirty: number[] = [];
  private markedIn: number[] = [];
  private epoch = 0;
  /** Most keys changed since the last snapshot: stop tracking them one by one, the next delta is the whole state. */
  private allDirty = false;
  private maxParallelism = 128;
  private range = { start: 0, end: 127 };
  /** Key group of each slot, hashed once when the key arrives (checkpoints group by it). */
  private groupAt = new Uint16Array(1024);
  /** Key groups changed since the last checkpoint capture (1 = changed). */
  private groupDirty = new Uint8Array(128);
  /** Captures of checkpoints not yet known complete: their changed groups (null: all). */
  private captures: Array<[number, Uint8Array | null]> = [];
  /** Every group counts as changed (nothing checkpointed yet, or restored since). */
  private allGroupsChanged = true;
  /**
   * Reduce calls on a key that already had a value, each of which returned a new value, and
   * whether one returned its accumulator (changed in place). Local snapshots keep values by
   * reference only after a probation of such calls, and never once the reduce changed one.
   */
  private replacements = 0;
  private changesInPlace = false;
  /**
   * While a checkpoint regroups the value column (after its barrier): the slots it covers (`n`),
   * and the value of each one overwritten since, saved at its first overwrite (`old`, at
   * `savedAt[slot] - 1`; an index array and a list cost a fraction of a Map at 1M slots). The checkpoint
   * reads the live column through it, so the barrier copies nothing (a copy of 1M slots held the
   * hot path for several batches).
   */
  private capture: { n: number; savedAt: Int32Array; old: T[] } | null = null;

  constructor(name: string, key: (value: T) => K, reduce: (acc: T, value: T) => T) {
    this.name = name;
    this.key = key;
    this.reduce = reduce;
  }

  open(ctx: OperatorContext): void {
    this.maxParallelism = ctx.maxParallelism;
    this.range = keyGroupRangeForOperator(ctx.maxParallelism, ctx.parallelism, ctx.subtask);
    this.groupDirty = new Uint8Array(ctx.maxParallelism);
  }

  processBatch(values: T[], timestamps: number[] | null, _input: number, out: BatchOut<T>): void {
    const base = reserveOutput(out, values.length);
    let from = 0;
    this.maybeEnterColumns();
    if (this.record !== undefined) {
      from = this.processRecords(values, timestamps, out, base);
      if (from === values.length) return;
    }
    this.processObjects(values, timestamps, out, base, from);
  }

  /**
   * The batch from `from` on, values kept in columns; returns where it stopped: the batch's end,
   * or the first record whose value (or reduced value) does not fit them (then values are objects).
   */
  private processRecords(values: T[], timestamps: number[] | null, out: BatchOut<T>, base: number): number {
    const slots = this.slots;
    const markedIn = this.markedIn;
    const groupDirty = this.groupDirty;
    const key = this.key;
    const reduce = this.reduce;
    const ov = out.values;
    const ot = out.timestamps;
    let i = 0;
    try {
      for (; i < values.length; i++) {
        const v = values[i]!;
        const k = key(v);
        let slot = slots.get(k);
        let next: T;
        if (slot < 0) {
          const record = this.record!;
          if (!record.fits(v)) {
            this.leaveColumns();
            return i;
          }
          slot = this.add(k, v);
          next = v;
        } else {
          const record = this.record!;
          next = reduce(record.read(slot) as T, v);
          if (!record.fits(next)) {
            this.leaveColumns();
            return i;
          }
          record.write(slot, next);
        }
        groupDirty[this.groupAt[slot]!] = 1;
        if (!this.allDirty && markedIn[slot] !== this.epoch) this.markDirty(slot);
        ov[base + i] = next;
        if (ot !== null) ot[base + i] = timestamps === null ? NaN : timestamps[i]!;
      }
    } catch (e) {
      trimOutput(out, base + i);
      throw new UserFunctionError(this.name, i, values[i], e);
    }
    return i;
  }

  /**
   * Past `COLUMNS_FROM_KEYS` keys, keeps the values in columns from now on if every one fits (else
   * as objects for good). Not while a checkpoint regroups the live value array.
   */
  private maybeEnterColumns(): void {
    if (this.record !== undefined || this.objects || this.keyAt.length < COLUMNS_FROM_KEYS || this.capture !== null) return;
    const valueAt = this.valueAt;
    const n = this.keyAt.length;
    const record = RecordColumns.for(valueAt[0], n + (n >> 1));
    if (record === undefined) {
      this.objects = true;
      return;
    }
    for (let s = 0; s < n; s++)
      if (!record.fits(valueAt[s])) {
        this.objects = true;
        return;
      }
    for (let s = 0; s < n; s++) record.write(s, valueAt[s]);
    this.record = record;
    this.valueAt = [];
  }

  /** Values from now on are objects: the columns' values become objects. */
  private leaveColumns(): void {
    this.objects = true;
    if (this.record !== undefined) this.valueAt = this.record.toValues(this.keyAt.length) as T[];
    this.record = undefined;
  }

  private processObjects(values: T[], timestamps: number[] | null, out: BatchOut<T>, base: number, from: number): void {
    const slots = this.slots;
    const valueAt = this.valueAt;
    const markedIn = this.markedIn;
    let groupAt = this.groupAt;
    const groupDirty = this.groupDirty;
    const key = this.key;
    const reduce = this.reduce;
    const ov = out.values;
    const ot = out.timestamps;
    const capture = this.capture;
    let i = from;
    let replaced = 0;
    try {
      for (; i < values.length; i++) {
        const v = values[i]!;
        const k = key(v);
        let slot = slots.get(k);
        let next: T;
        if (slot < 0) {
          slot = this.add(k, v);
          next = v;
          groupAt = this.groupAt;
          groupDirty[groupAt[slot]!] = 1;
        } else {
          groupDirty[groupAt[slot]!] = 1;
          const prev = valueAt[slot]!;
          next = reduce(prev, v);
          if (next === prev) this.changesInPlace = true;
          else replaced++;
          if (capture !== null && slot < capture.n && capture.savedAt[slot] === 0) capture.savedAt[slot] = capture.old.push(prev);
          valueAt[slot] = next;
        }
        if (!this.allDirty && markedIn[slot] !== this.epoch) this.markDirty(slot);
        ov[base + i] = next;
        if (ot !== null) ot[base + i] = timestamps === null ? NaN : timestamps[i]!;
      }
    } catch (e) {
      trimOutput(out, base + i);
      throw new UserFunctionError(this.name, i, values[i], e);
    } finally {
      this.replacements += replaced;
    }
  }

  /** A new key's slot, holding `value`. */
  private add(k: K, value: T): number {
    const slot = this.keyAt.length;
    this.slots.set(k, slot);
    this.keyAt.push(k);
    if (this.record !== undefined) this.record.write(slot, value);
    else this.valueAt.push(value);
    this.markedIn.push(-1);
    if (slot >= this.groupAt.length) {
      const grown = new Uint16Array(this.groupAt.length * 2);
      grown.set(this.groupAt);
      this.groupAt = grown;
    }
    this.groupAt[slot] = keyGroupOf(k, this.maxParallelism);
    return slot;
  }

  private put(k: K, value: T): void {
    if (this.record !== undefined && !this.record.fits(value)) this.leaveColumns();
    const slot = this.slots.get(k);
    if (slot < 0) this.add(k, value);
    else if (this.record !== undefined) this.record.write(slot, value);
    else this.valueAt[slot] = value;
  }

  private markDirty(slot: number): void {
    this.markedIn[slot] = this.epoch;
    this.dirty.push(slot);
    if (this.dirty.length > this.keyAt.length >> 1 && this.dirty.length > 64) {
      this.allDirty = true;
      this.dirty.length = 0;
    }
  }

  /** Forgets which slots changed: they are listed anew from the next record on. */
  private resetDirty(): void {
    this.dirty.length = 0;
    this.epoch++;
  }

  private clear(): void {
    this.slots = new KeyIndex();
    this.keyAt = [];
    this.valueAt = [];
    this.record = undefined;
    this.objects = false;
    this.markedIn = [];
    this.resetDirty();
    this.allDirty = false;
    this.groupAt = new Uint16Array(1024);
    this.groupDirty.fill(0);
    this.captures = [];
    this.allGroupsChanged = true;
    this.capture = null;
  }

  /** Number of keys held. */
  get size(): number {
    return this.keyAt.length;
  }

  /** Entries grouped by key group: the hot path never hashes, the snapshot does. */
  snapshotState(): KeyedSnapshot<K, T> {
    const maxParallelism = this.maxParallelism;
    const keyAt = this.keyAt;
    const groupAt = this.groupAt;
    const record = this.record;
    if (record !== undefined) {
      // Values in columns: each group's slots, then its keys and its values packed by field.
      const slotsOf = new Map<number, number[]>();
      for (let s = 0; s < keyAt.length; s++) {
        const g = groupAt[s]!;
        let list = slotsOf.get(g);
        if (!list) slotsOf.set(g, (list = []));
        list.push(s);
      }
      return { maxParallelism, groups: [...slotsOf].map(([g, list]): [number, K[], PackedColumn] => [g, list.map((s) => keyAt[s]!), record.gather(list)]) };
    }
    const groups = new Map<number, [number, K[], T[]]>();
    const valueAt = this.valueAt;
    for (let s = 0; s < keyAt.length; s++) {
      const k = keyAt[s]!;
      const g = groupAt[s]!;
      let group = groups.get(g);
      if (!group) groups.set(g, (group = [g, [], []]));
      group[1].push(k);
      group[2].push(valueAt[s]!);
    }
    return { maxParallelism, groups: [...groups.values()] };
  }

  /**
   * Values are only ever replaced (the reduce returned a new value on every call after a
   * probation) and hold nothing that could be changed in place behind a new outer object (a
   * nested object, array or collection, which `{ ...a, list: a.list }` would share): see
   * `Operator.snapshotByReference`. Values are sampled now and then, not all walked.
   */
  snapshotByReference(): boolean {
    // Values in columns are copied into the snapshot: nothing is shared with the live state.
    if (this.record !== undefined) return true;
    if (this.changesInPlace || this.replacements < BY_REFERENCE_PROBATION) return false;
    if (this.referenceChecks++ % 16 === 0 && someNested(this.valueAt, 64)) this.changesInPlace = true;
    return !this.changesInPlace;
  }

  private referenceChecks = 0;

  snapshotDelta(all = false): KeyedDelta<K, T> {
    let keys: K[];
    let values: T[] | PackedColumn;
    const record = this.record;
    if (all || this.allDirty) {
      keys = this.keyAt.slice();
      values = record !== undefined ? record.copy(keys.length) : this.valueAt.slice();
    } else {
      const dirty = this.dirty;
      keys = new Array<K>(dirty.length);
      for (let i = 0; i < dirty.length; i++) keys[i] = this.keyAt[dirty[i]!]!;
      if (record !== undefined) values = record.gather(dirty);
      else {
        const list = new Array<T>(dirty.length);
        for (let i = 0; i < dirty.length; i++) list[i] = this.valueAt[dirty[i]!]!;
        values = list;
      }
    }
    this.resetDirty();
    // Everything was taken (a snapshot kept by reference): stop tracking keys one by one, as the
    // next such snapshot takes everything again; a delta after it would hold the whole state.
    this.allDirty = all;
    return [keys, values];
  }

  restoreDelta(delta: unknown): void {
    this.allGroupsChanged = true;
    const [keys, packed] = delta as KeyedDelta<K, T>;
    const values = unpackColumn(packed) as T[];
    for (let i = 0; i < keys.length; i++) this.put(keys[i]!, values[i]!);
    this.maybeEnterColumns();
  }

  clearDelta(): void {
    this.resetDirty();
    this.allDirty = false;
  }

  /**
   * The key groups for a checkpoint: the key, value and group columns are copied now (pointer
   * copies: values are only ever replaced, see below), grouped and packed later, group by group.
   * Values changed in place, or holding nested objects that could be, are packed at once instead
   * (undefined: the checkpoint takes `snapshotState()`).
   */
  checkpointParts(checkpointId: number): CheckpointParts | undefined {
    if (this.changesInPlace || someNested(this.valueAt, 64)) return undefined;
    // Only values change in a slot (replaced, never changed in place): keys and groups are only appended to, so they are shared.
    const n = this.keyAt.length;
    // The live column, with the values overwritten after the barrier saved on the side; a copy
    // only when an earlier checkpoint still regroups (two captures at once are not tracked).
    // Values in columns are copied whole (a few memcpys, a couple of ms at 1M keys).
    const record = this.record;
    const cap = record === undefined && this.capture === null ? { n, savedAt: new Int32Array(n), old: [] as T[] } : null;
    if (cap) this.capture = cap;
    const values = record !== undefined ? record.copy(n) : cap ? this.valueAt : this.valueAt.slice();
    const all = this.allGroupsChanged;
    this.captures.push([checkpointId, all ? null : this.groupDirty.slice()]);
    this.groupDirty.fill(0);
    this.allGroupsChanged = false;
    let changed: Set<number> | 'all' = new Set();
    const wanted = new Uint8Array(this.maxParallelism);
    for (const [, dirty] of this.captures) {
      if (dirty === null) {
        changed = 'all';
        wanted.fill(1);
        break;
      }
      for (let g = 0; g < dirty.length; g++) if (dirty[g] === 1) wanted[g] = 1;
    }
    if (changed !== 'all') for (let g = 0; g < wanted.length; g++) if (wanted[g] === 1) changed.add(g);
    const columns = new GroupedColumns(this.keyAt, values, this.groupAt, n, this.maxParallelism, wanted, cap ?? undefined);
    // Once regrouped, the columns hold their own copy: values need no saving any more.
    const end = () => {
      if (cap !== null && this.capture === cap) this.capture = null;
    };
    return {
      base: { maxParallelism: this.maxParallelism },
      groups: columns.present,
      changed,
      prepare: () => {
        const done = columns.prepare();
        if (done) end();
        return done;
      },
      part: (g) => columns.part(g),
      release: end,
    };
  }

  notifyCheckpointComplete(checkpointId: number): void {
    this.captures = this.captures.filter(([id]) => id > checkpointId);
  }

  restoreState(state: unknown): void {
    this.clear();
    if (state) this.restoreRescaled([state]);
  }

  /** Keeps the key groups this subtask owns from every given snapshot. */
  restoreRescaled(states: unknown[]): void {
    this.clear();
    for (const s of states as Array<KeyedSnapshot<K, T> | null>) {
      if (!s) continue;
      if (s.maxParallelism !== this.maxParallelism) throw new InvalidJobError(`operator '${this.name}': state was written with maxParallelism ${s.maxParallelism} but the job now has ${this.maxParallelism}; key groups cannot be remapped`);
      for (const group of s.groups) {
        const g = group[0];
        if (g < this.range.start || g > this.range.end) continue;
        if (group.length === 3) {
          const keys = unpackColumn(group[1] as PackedColumn) as K[];
          const values = unpackColumn(group[2] as PackedColumn) as T[];
          for (let i = 0; i < keys.length; i++) this.put(keys[i]!, values[i]!);
        } else for (const [k, v] of group[1]) this.put(k, v);
      }
    }
    this.maybeEnterColumns();
  }
}
