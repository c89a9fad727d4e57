import type { DataStream as DataStreamType } from './data-stream.ts';
import { KeyedReduce } from '../../actors/keyed-reduce.ts';
import { WindowedStream } from './windowed-stream.ts';
import type { WindowAssigner } from '../windows/assigners/window-assigner.ts';
import type { KeyedProcessFunction } from './process-function.ts';
import type { AggregateFunction } from '../windows/window-function.ts';
import { AggregatingStateDescriptor } from '../state/state-descriptor.ts';
import { ProcessOperator, type ProcessHandlers } from '../../actors/process/process-operator.ts';
import { ConnectedStreams, isBroadcast } from './connected-streams.ts';
import { InvalidJobError } from '../errors.ts';
import { IntervalJoin } from './interval-join.ts';

/**
 * A stream partitioned by key. Stateful operations on it keep state per key.
 * @example
 * ```ts
 * env.fromCollection(words).map((w) => ({ w, n: 1 })).keyBy((r) => r.w).reduce((a, b) => ({ w: a.w, n: a.n + b.n }))
 * ```
 */
export class KeyedStream<T, K> {
  /** @internal */
  readonly stream: DataStreamType<T>;
  /** The key selector. */
  readonly key: (value: T) => K;

  constructor(stream: DataStreamType<T>, key: (value: T) => K) {
    this.stream = stream;
    this.key = key;
  }

  /** A running reduce per key: emits the key's updated value for every record. */
  reduce(fn: (acc: T, value: T) => T, name = 'reduce'): DataStreamType<T> {
    const key = this.key;
    return this.keyedOperator<T>(name, () => new KeyedReduce<T, K>(name, key, fn), true);
  }

  /** Runs a keyed process function: keyed state (`ctx.getState`…) and event/processing-time timers. */
  process<R>(fn: KeyedProcessFunction<K, T, R>, name = 'keyed-process'): DataStreamType<R> {
    return this.processKeyed(fn, name, false);
  }

  private processKeyed<R>(fn: KeyedProcessFunction<K, T, R>, name: string, recordDriven: boolean): DataStreamType<R> {
    const key = this.key as (v: unknown) => unknown;
    const spec = { fn: fn as unknown as ProcessHandlers, methods: ['processElement'], keys: [key] };
    return this.keyedOperator<R>(name, () => new ProcessOperator(name, spec), recordDriven);
  }

  /** Connects another keyed stream (same key type) or a `broadcast()` stream. */
  connect<T2>(other: KeyedStream<T2, K> | DataStreamType<T2>): ConnectedStreams<T, T2, K> {
    if (other instanceof KeyedStream) return new ConnectedStreams<T, T2, K>(this.stream, other.stream, [this.key, other.key]);
    if (!isBroadcast(other)) throw new InvalidJobError('KeyedStream.connect: connect a keyed stream (other.keyBy(...)) or a broadcast() stream');
    return new ConnectedStreams<T, T2, K>(this.stream, other, [this.key, () => undefined as K]);
  }

  /** Joins each record with the other stream's records of the same key whose time lies within bounds: `.between(lowerMs, upperMs).process(fn)`. */
  intervalJoin<T2>(other: KeyedStream<T2, K>): IntervalJoin<T, T2, K> {
    return new IntervalJoin<T, T2, K>(this, other);
  }

  /** A running aggregate per key (Flink's `KeyedStream` rolling aggregation): emits the key's updated result for every record. */
  aggregate<ACC, R>(fn: AggregateFunction<T, ACC, R>, name = 'aggregate'): DataStreamType<R> {
    const state = new AggregatingStateDescriptor<T, ACC, R>(`${name}:acc`, fn);
    return this.processKeyed<R>(
      {
        processElement(value, ctx, out) {
          const acc = ctx.getAggregatingState(state);
          acc.add(value);
          out.collect(acc.get()!);
        },
      },
      name,
      true,
    );
  }

  /** Cuts each key's stream into windows. */
  window(assigner: WindowAssigner): WindowedStream<T, K> {
    return new WindowedStream<T, K>(this, assigner);
  }

  /** @internal Adds a keyed operator reading this stream hash-partitioned by key (`recordDriven`, `batchDriven`: see `Transformation`). */
  keyedOperator<R>(name: string, create: (subtask: number, parallelism: number) => import('../runtime/operator.ts').Operator, recordDriven = false, batchDriven = false): DataStreamType<R> {
    const env = this.stream.env;
    const partitioning = { kind: 'hash' as const, key: this.key as (v: unknown) => unknown, maxParallelism: env.options.maxParallelism };
    const node = env.add({ name, kind: 'operator', inputs: [this.stream.input(partitioning)], chaining: 'default', createOperator: create, recordDriven, batchDriven });
    const Ctor = this.stream.constructor as new (e: typeof env, n: typeof node) => DataStreamType<R>;
    return new Ctor(env, node);
  }
}
