import type { AggregateFunction } from '../windows/window-function.ts';
import { InvalidJobError } from '../errors.ts';

/**
 * Time-to-live of keyed state (Flink's StateTtlConfig), measured in processing time. Expired
 * entries are never returned; they are dropped when read and when a snapshot is written.
 * @example
 * ```ts
 * new ValueStateDescriptor<number>('last-seen', { ttl: { ttlMs: 60_000, updateType: 'onReadAndWrite' } })
 * ```
 */
export interface StateTtlConfig {
  /** How long an entry lives after its last update (or read, with `onReadAndWrite`). */
  ttlMs: number;
  /** What refreshes an entry's expiry: writes only (default) or reads too. */
  updateType?: 'onCreateAndWrite' | 'onReadAndWrite';
}

/** Options every state descriptor takes. */
export interface StateOptions {
  ttl?: StateTtlConfig;
}

/** What all descriptors share: a name unique within the operator, and the TTL. */
export abstract class StateDescriptor {
  /** Which kind of state this describes. */
  abstract readonly kind: 'value' | 'list' | 'map' | 'reducing' | 'aggregating';
  readonly name: string;
  readonly ttl: StateTtlConfig | undefined;

  constructor(name: string, options: StateOptions = {}) {
    if (!name) throw new InvalidJobError('a state descriptor needs a non-empty name');
    const ttl = options.ttl;
    if (ttl && !(ttl.ttlMs > 0)) throw new InvalidJobError(`state '${name}': ttlMs must be a positive number of ms, got ${ttl.ttlMs}`);
    this.name = name;
    this.ttl = ttl;
  }
}

/**
 * Describes a {@link ValueState}: one value per key.
 * @example
 * ```ts
 * const count = new ValueStateDescriptor<number>('count', { defaultValue: 0 })
 * ```
 */
export class ValueStateDescriptor<T> extends StateDescriptor {
  readonly kind = 'value' as const;
  /** What `value()` returns for a key without a value. */
  readonly defaultValue: T | undefined;
  constructor(name: string, options: StateOptions & { defaultValue?: T } = {}) {
    super(name, options);
    this.defaultValue = options.defaultValue;
  }
}

/**
 * Describes a {@link ListState}: a list of values per key.
 * @example
 * ```ts
 * const seen = new ListStateDescriptor<string>('seen')
 * ```
 */
export class ListStateDescriptor<T> extends StateDescriptor {
  readonly kind = 'list' as const;
  /** Never set: carries the element type for the compiler. */
  declare readonly _type?: T;
}

/**
 * Describes a {@link MapState}: a map per key.
 * @example
 * ```ts
 * const perCategory = new MapStateDescriptor<number, number>('per-category')
 * ```
 */
export class MapStateDescriptor<UK, UV> extends StateDescriptor {
  readonly kind = 'map' as const;
  /** Never set: carries the key and value types for the compiler. */
  declare readonly _type?: [UK, UV];
}

/**
 * Describes a {@link ReducingState}: values added per key are reduced into one.
 * @example
 * ```ts
 * const max = new ReducingStateDescriptor<number>('max', Math.max)
 * ```
 */
export class ReducingStateDescriptor<T> extends StateDescriptor {
  readonly kind = 'reducing' as const;
  readonly reduce: (a: T, b: T) => T;
  constructor(name: string, reduce: (a: T, b: T) => T, options: StateOptions = {}) {
    super(name, options);
    this.reduce = reduce;
  }
}

/**
 * Describes an {@link AggregatingState}: values added per key go into an accumulator.
 * @example
 * ```ts
 * const avg = new AggregatingStateDescriptor('avg', { createAccumulator: () => [0, 0], add: (v: number, [s, n]) => [s + v, n + 1], getResult: ([s, n]) => s / n, merge: (a, b) => [a[0] + b[0], a[1] + b[1]] })
 * ```
 */
export class AggregatingStateDescriptor<IN, ACC, OUT> extends StateDescriptor {
  readonly kind = 'aggregating' as const;
  readonly aggregate: AggregateFunction<IN, ACC, OUT>;
  constructor(name: string, aggregate: AggregateFunction<IN, ACC, OUT>, options: StateOptions = {}) {
    super(name, options);
    this.aggregate = aggregate;
  }
}

/** Keyed state holding one value. */
export interface ValueState<T> {
  /** The current key's value (the descriptor's default when there is none). */
  value(): T | undefined;
  update(value: T): void;
  clear(): void;
}

/** Keyed state holding a list. */
export interface ListState<T> {
  /** The current key's elements (a copy; empty when none). */
  get(): T[];
  add(value: T): void;
  addAll(values: Iterable<T>): void;
  /** Replaces the list. */
  update(values: Iterable<T>): void;
  clear(): void;
}

/** Keyed state holding a map. */
export interface MapState<UK, UV> {
  get(key: UK): UV | undefined;
  put(key: UK, value: UV): void;
  contains(key: UK): boolean;
  remove(key: UK): void;
  entries(): Array<[UK, UV]>;
  keys(): UK[];
  values(): UV[];
  isEmpty(): boolean;
  clear(): void;
}

/** Keyed state reducing what is added into one value. */
export interface ReducingState<T> {
  get(): T | undefined;
  add(value: T): void;
  clear(): void;
}

/** Keyed state aggregating what is added into an accumulator. */
export interface AggregatingState<IN, OUT> {
  /** The aggregate's result for the current key (undefined when nothing was added). */
  get(): OUT | undefined;
  add(value: IN): void;
  clear(): void;
}
