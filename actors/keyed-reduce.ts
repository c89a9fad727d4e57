import type { BatchOut, Operator } from '../src/runtime/operator.ts';
import { UserFunctionError } from '../src/errors.ts';

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

  constructor(name: string, key: (value: T) => K, reduce: (acc: T, value: T) => T) {
    this.name = name;
    this.key = key;
    this.reduce = reduce;
  }

  processBatch(values: T[], timestamps: number[] | null, _input: number, out: BatchOut<T>): void {
    const state = this.state;
    const key = this.key;
    const reduce = this.reduce;
    const ov = out.values;
    const ot = out.timestamps;
    let i = 0;
    try {
      for (; i < values.length; i++) {
        const v = values[i]!;
        const k = key(v);
        const prev = state.get(k);
        const next = prev === undefined ? v : reduce(prev, v);
        state.set(k, next);
        ov.push(next);
        if (ot !== null) ot.push(timestamps === null ? NaN : timestamps[i]!);
      }
    } catch (e) {
      throw new UserFunctionError(this.name, i, values[i], e);
    }
  }

  /** Number of keys held. */
  get size(): number {
    return this.state.size;
  }

  snapshotState(): unknown {
    return Array.from(this.state);
  }

  restoreState(state: unknown): void {
    this.state = new Map((state as Array<[K, T]> | null) ?? []);
  }
}
