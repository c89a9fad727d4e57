import type { BatchOut, Operator, OperatorContext } from '../src/runtime/operator.ts';
import { InvalidJobError, UserFunctionError } from '../src/errors.ts';
import { keyGroupOf, keyGroupRangeForOperator } from '../src/state/key-groups.ts';

/**
 * Keyed state written per key group, so it can be restored at another parallelism. Each group is
 * columnar, `[group, keys, values]`: no pair array per entry to build or pack (snapshots of a
 * running reduce are on the hot path of one-actor recovery). Earlier snapshots wrote
 * `[group, [[key, value], …]]`; restore reads both.
 */
interface KeyedSnapshot<K, T> {
  maxParallelism: number;
  groups: Array<[number, K[], T[]] | [number, Array<[K, T]>]>;
}

/**
 * Reduce calls that must each return a new value before local snapshots keep values by reference:
 * a reduce that changes its accumulator in place does so from its first calls.
 */
const BY_REFERENCE_PROBATION = 1024;

/** True when one of the first `sample` values holds an object (a part that could be changed in place while the value is shared). */
function someNested(state: Map<unknown, unknown>, sample: number): boolean {
  let n = 0;
  for (const v of state.values()) {
    if (n++ >= sample) break;
    if (typeof v !== 'object' || v === null) continue;
    if (v instanceof Map || v instanceof Set || ArrayBuffer.isView(v)) return true;
    for (const part of Array.isArray(v) ? v : Object.values(v)) if (typeof part === 'object' && part !== null) return true;
  }
  return false;
}

/** A delta: the keys changed since the previous local snapshot and their values, in two columns. */
type KeyedDelta<K, T> = [K[], T[]];

/**
 * A keyed running reduce (Flink's `KeyedStream.reduce`): for every record, combines it with the
 * key's current value and emits the new value. State is one Map entry per key; the hot path
 * does a get and a set per record and allocates nothing.
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
  private state = new Map<K, T>();
  /** Keys updated since the last local snapshot. */
  private dirty = new Set<K>();
  /** Most keys changed since the last snapshot: stop tracking them one by one, the next delta is the whole state. */
  private allDirty = false;
  private maxParallelism = 128;
  private range = { start: 0, end: 127 };
  /**
   * Reduce calls on a key that already had a value, each of which returned a new value, and
   * whether one returned its accumulator (changed in place). Local snapshots keep values by
   * reference only after a probation of such calls, and never once the reduce changed one.
   */
  private replacements = 0;
  private changesInPlace = false;

  constructor(name: string, key: (value: T) => K, reduce: (acc: T, value: T) => T) {
    this.name = name;
    this.key = key;
    this.reduce = reduce;
  }

  open(ctx: OperatorContext): void {
    this.maxParallelism = ctx.maxParallelism;
    this.range = keyGroupRangeForOperator(ctx.maxParallelism, ctx.parallelism, ctx.subtask);
  }

  processBatch(values: T[], timestamps: number[] | null, _input: number, out: BatchOut<T>): void {
    const state = this.state;
    const dirty = this.dirty;
    const key = this.key;
    const reduce = this.reduce;
    const ov = out.values;
    const ot = out.timestamps;
    // One output per input, written by index into arrays sized up front (growing by push costs more).
    const base = ov.length;
    ov.length = base + values.length;
    if (ot !== null) ot.length = ov.length;
    let i = 0;
    try {
      for (; i < values.length; i++) {
        const v = values[i]!;
        const k = key(v);
        const prev = state.get(k);
        let next: T;
        if (prev === undefined) next = v;
        else {
          next = reduce(prev, v);
          if (next === prev) this.changesInPlace = true;
          else this.replacements++;
        }
        state.set(k, next);
        if (!this.allDirty) {
          dirty.add(k);
          if (dirty.size > state.size >> 1 && dirty.size > 64) {
            this.allDirty = true;
            dirty.clear();
          }
        }
        ov[base + i] = next;
        if (ot !== null) ot[base + i] = timestamps === null ? NaN : timestamps[i]!;
      }
    } catch (e) {
      ov.length = base + i;
      if (ot !== null) ot.length = base + i;
      throw new UserFunctionError(this.name, i, values[i], e);
    }
  }

  /** Number of keys held. */
  get size(): number {
    return this.state.size;
  }

  /** Entries grouped by key group: the hot path never hashes, the snapshot does. */
  snapshotState(): KeyedSnapshot<K, T> {
    const groups = new Map<number, [number, K[], T[]]>();
    const maxParallelism = this.maxParallelism;
    this.state.forEach((v, k) => {
      const g = keyGroupOf(k, maxParallelism);
      let group = groups.get(g);
      if (!group) groups.set(g, (group = [g, [], []]));
      group[1].push(k);
      group[2].push(v);
    });
    return { maxParallelism, groups: [...groups.values()] };
  }

  /**
   * Values are only ever replaced (the reduce returned a new value on every call after a
   * probation) and hold nothing that could be changed in place behind a new outer object (a
   * nested object, array or collection, which `{ ...a, list: a.list }` would share): see
   * `Operator.snapshotByReference`. Values are sampled now and then, not all walked.
   */
  snapshotByReference(): boolean {
    if (this.changesInPlace || this.replacements < BY_REFERENCE_PROBATION) return false;
    if (this.referenceChecks++ % 16 === 0 && someNested(this.state, 64)) this.changesInPlace = true;
    return !this.changesInPlace;
  }

  private referenceChecks = 0;

  snapshotDelta(all = false): KeyedDelta<K, T> {
    const keys: K[] = [];
    const values: T[] = [];
    if (all || this.allDirty)
      this.state.forEach((v, k) => {
        keys.push(k);
        values.push(v);
      });
    else
      for (const k of this.dirty) {
        keys.push(k);
        values.push(this.state.get(k)!);
      }
    this.dirty.clear();
    // Everything was taken (a snapshot kept by reference): stop tracking keys one by one, as the
    // next such snapshot takes everything again; a delta after it would hold the whole state.
    this.allDirty = all;
    return [keys, values];
  }

  restoreDelta(delta: unknown): void {
    const [keys, values] = delta as KeyedDelta<K, T>;
    for (let i = 0; i < keys.length; i++) this.state.set(keys[i]!, values[i]!);
  }

  clearDelta(): void {
    this.dirty.clear();
    this.allDirty = false;
  }

  restoreState(state: unknown): void {
    this.dirty.clear();
    this.allDirty = false;
    this.state = new Map();
    if (state) this.restoreRescaled([state]);
  }

  /** Keeps the key groups this subtask owns from every given snapshot. */
  restoreRescaled(states: unknown[]): void {
    this.state = new Map();
    for (const s of states as Array<KeyedSnapshot<K, T> | null>) {
      if (!s) continue;
      if (s.maxParallelism !== this.maxParallelism) throw new InvalidJobError(`operator '${this.name}': state was written with maxParallelism ${s.maxParallelism} but the job now has ${this.maxParallelism}; key groups cannot be remapped`);
      for (const group of s.groups) {
        const g = group[0];
        if (g < this.range.start || g > this.range.end) continue;
        if (group.length === 3) for (let i = 0; i < group[1].length; i++) this.state.set(group[1][i]!, group[2][i]!);
        else for (const [k, v] of group[1]) this.state.set(k, v);
      }
    }
  }
}
