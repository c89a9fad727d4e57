import type { AggregatingState, ListState, MapState, ReducingState, StateDescriptor, ValueState } from './state-descriptor.ts';
import type { AggregateFunction } from '../windows/window-function.ts';
import type { StateMap } from './backends/state-map.ts';

/** What a state object needs from its backend: the current key and processing time. */
export interface KeyContext<K> {
  currentKey: K;
  now(): number;
  /** The current key's state changed (for delta snapshots). */
  markDirty(): void;
  /** `stored` was appended to list state `state` of the current key (a delta carries just the element). */
  markAppended(state: string, stored: unknown): void;
}

/** A TTL-wrapped entry. */
interface Expiring<V> {
  v: V;
  exp: number;
}

/**
 * One named state of an operator: a map from key to the stored entry. Without TTL the stored
 * entry is the value itself (no wrapper on the hot path); with TTL it carries its expiry (per
 * element for lists, per user key for maps, as Flink does).
 */
export abstract class KeyedStateTable<K, S> {
  protected readonly ttlMs: number;
  protected readonly refreshOnRead: boolean;

  constructor(
    readonly descriptor: StateDescriptor,
    protected readonly ctx: KeyContext<K>,
    /** The entries, on the heap or behind a disk-backed cache (see {@link StateMap}). */
    readonly table: StateMap<K, S>,
  ) {
    this.ttlMs = descriptor.ttl?.ttlMs ?? 0;
    this.refreshOnRead = descriptor.ttl?.updateType === 'onReadAndWrite';
  }

  /** Drops expired entries (before a snapshot, so state does not grow with dead keys). */
  abstract purgeExpired(now: number): void;

  protected wrap<V>(v: V): V | Expiring<V> {
    return this.ttlMs > 0 ? { v, exp: this.ctx.now() + this.ttlMs } : v;
  }

  /** Unwraps a TTL entry: undefined when expired, and refreshes it on read when configured. */
  protected live<V>(e: Expiring<V>, now: number): V | undefined {
    if (e.exp <= now) return undefined;
    if (this.refreshOnRead) e.exp = now + this.ttlMs;
    return e.v;
  }
}

/** {@link ValueState}, reducing and aggregating state: one entry per key. */
export class SingleValueTable<K, V> extends KeyedStateTable<K, unknown> implements ValueState<V> {
  private readonly fallback: V | undefined = (this.descriptor as { defaultValue?: V }).defaultValue;

  value(): V | undefined {
    const v = this.read();
    return v === undefined ? this.fallback : v;
  }

  read(): V | undefined {
    const k = this.ctx.currentKey;
    const e = this.table.get(k);
    if (e === undefined || this.ttlMs === 0) return e as V | undefined;
    const v = this.live(e as Expiring<V>, this.ctx.now());
    if (v === undefined) this.table.delete(k);
    else if (this.refreshOnRead) this.table.touch(k, e);
    return v;
  }

  update(value: V): void {
    this.ctx.markDirty();
    if (value === undefined) this.table.delete(this.ctx.currentKey);
    else this.table.set(this.ctx.currentKey, this.wrap(value));
  }

  clear(): void {
    this.ctx.markDirty();
    this.table.delete(this.ctx.currentKey);
  }

  purgeExpired(now: number): void {
    if (this.ttlMs === 0) return;
    for (const [k, e] of this.table) if ((e as Expiring<V>).exp <= now) this.table.delete(k);
  }
}

/** {@link ReducingState} over a single-value table. */
export class ReducingTable<K, T> extends SingleValueTable<K, T> implements ReducingState<T> {
  get(): T | undefined {
    return this.read();
  }

  add(value: T): void {
    const prev = this.read();
    this.update(prev === undefined ? value : (this.descriptor as unknown as { reduce: (a: T, b: T) => T }).reduce(prev, value));
  }
}

/** {@link AggregatingState} over a single-value table holding the accumulator. */
export class AggregatingTable<K, IN, ACC, OUT> extends SingleValueTable<K, ACC> implements AggregatingState<IN, OUT> {
  private readonly agg = (this.descriptor as unknown as { aggregate: AggregateFunction<IN, ACC, OUT> }).aggregate;

  get(): OUT | undefined {
    const acc = this.read();
    return acc === undefined ? undefined : this.agg.getResult(acc);
  }

  add(value: IN): void {
    const acc = this.read();
    this.update(this.agg.add(value, acc === undefined ? this.agg.createAccumulator() : acc));
  }
}

/** {@link ListState}: an array per key (of TTL entries when TTL is on). */
export class ListTable<K, T> extends KeyedStateTable<K, unknown[]> implements ListState<T> {
  get(): T[] {
    const list = this.table.get(this.ctx.currentKey);
    if (!list) return [];
    if (this.ttlMs === 0) return list.slice() as T[];
    const now = this.ctx.now();
    const out: T[] = [];
    for (const e of list as Expiring<T>[]) {
      const v = this.live(e, now);
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  add(value: T): void {
    const k = this.ctx.currentKey;
    let list = this.table.get(k);
    if (!list) this.table.set(k, (list = []));
    const stored = this.wrap(value);
    list.push(stored);
    this.table.touch(k, list);
    // Appends travel as appends: re-writing a long list in every delta would grow with its length.
    this.ctx.markAppended(this.descriptor.name, stored);
  }

  addAll(values: Iterable<T>): void {
    for (const v of values) this.add(v);
  }

  update(values: Iterable<T>): void {
    this.clear();
    this.addAll(values);
  }

  clear(): void {
    this.ctx.markDirty();
    this.table.delete(this.ctx.currentKey);
  }

  purgeExpired(now: number): void {
    if (this.ttlMs === 0) return;
    for (const [k, list] of this.table) {
      const kept = (list as Expiring<T>[]).filter((e) => e.exp > now);
      if (kept.length === 0) this.table.delete(k);
      else this.table.set(k, kept);
    }
  }
}

/** {@link MapState}: a Map per key (of TTL entries when TTL is on). */
export class MapTable<K, UK, UV> extends KeyedStateTable<K, Map<UK, unknown>> implements MapState<UK, UV> {
  private map(create: boolean): Map<UK, unknown> | undefined {
    const k = this.ctx.currentKey;
    let m = this.table.get(k);
    if (!m && create) this.table.set(k, (m = new Map()));
    return m;
  }

  get(key: UK): UV | undefined {
    const m = this.map(false);
    const e = m?.get(key);
    if (e === undefined || this.ttlMs === 0) return e as UV | undefined;
    const v = this.live(e as Expiring<UV>, this.ctx.now());
    if (v === undefined) m!.delete(key);
    return v;
  }

  put(key: UK, value: UV): void {
    this.ctx.markDirty();
    const m = this.map(true)!;
    m.set(key, this.wrap(value));
    this.table.touch(this.ctx.currentKey, m);
  }

  contains(key: UK): boolean {
    return this.get(key) !== undefined;
  }

  remove(key: UK): void {
    const m = this.map(false);
    if (!m) return;
    this.ctx.markDirty();
    m.delete(key);
    if (m.size === 0) this.table.delete(this.ctx.currentKey);
    else this.table.touch(this.ctx.currentKey, m);
  }

  entries(): Array<[UK, UV]> {
    const m = this.map(false);
    if (!m) return [];
    const out: Array<[UK, UV]> = [];
    const now = this.ctx.now();
    for (const [uk, e] of m) {
      const v = this.ttlMs === 0 ? (e as UV) : this.live(e as Expiring<UV>, now);
      if (v !== undefined) out.push([uk, v]);
    }
    return out;
  }

  keys(): UK[] {
    return this.entries().map((e) => e[0]);
  }

  values(): UV[] {
    return this.entries().map((e) => e[1]);
  }

  isEmpty(): boolean {
    return this.entries().length === 0;
  }

  clear(): void {
    this.ctx.markDirty();
    this.table.delete(this.ctx.currentKey);
  }

  purgeExpired(now: number): void {
    if (this.ttlMs === 0) return;
    for (const [k, m] of this.table) {
      const before = m.size;
      for (const [uk, e] of m) if ((e as Expiring<UV>).exp <= now) m.delete(uk);
      if (m.size === 0) this.table.delete(k);
      else if (m.size !== before) this.table.touch(k, m);
    }
  }
}
