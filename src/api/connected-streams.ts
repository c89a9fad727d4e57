import type { DataStream } from './data-stream.ts';
import type { BroadcastProcessFunction, CoProcessFunction, KeyedBroadcastProcessFunction, KeyedCoProcessFunction } from './process-function.ts';
import type { Partitioning } from '../runtime/partitioner.ts';
import { ProcessOperator, type ProcessHandlers } from '../../actors/process/process-operator.ts';
import { InvalidJobError } from '../errors.ts';

/**
 * Two streams of possibly different types processed together by one operator, which sees records
 * of both (input 1 and input 2) and shares state between them. Its watermark is the minimum of
 * both inputs'. Key both sides with {@link ConnectedStreams.keyBy} for keyed state and timers;
 * connect a `broadcast()` stream as the second input for broadcast state.
 * @example
 * ```ts
 * persons.connect(auctions).keyBy((p) => p.id, (a) => a.seller).process(joinFunction)
 * ```
 */
export class ConnectedStreams<I1, I2, K = unknown> {
  constructor(
    readonly first: DataStream<I1>,
    readonly second: DataStream<I2>,
    private readonly keys?: [(value: I1) => K, (value: I2) => K],
  ) {
    if (first.env !== second.env) throw new InvalidJobError('connect: both streams must come from the same StreamEnvironment');
  }

  /** Partitions both inputs by key so records with equal keys meet in the same subtask. */
  keyBy<K2>(key1: (value: I1) => K2, key2: (value: I2) => K2): ConnectedStreams<I1, I2, K2> {
    return new ConnectedStreams<I1, I2, K2>(this.first, this.second, [key1, key2]);
  }

  /** Processes both inputs with a keyed co-process function: shared keyed state and timers (after `keyBy`). */
  process<O>(fn: KeyedCoProcessFunction<K, I1, I2, O>, name?: string): DataStream<O>;
  /** Processes a keyed stream with a broadcast stream: broadcast state written by `processBroadcastElement`. */
  process<O>(fn: KeyedBroadcastProcessFunction<K, I1, I2, O>, name?: string): DataStream<O>;
  /** Processes two non-keyed streams. */
  process<O>(fn: CoProcessFunction<I1, I2, O>, name?: string): DataStream<O>;
  /** Processes a non-keyed stream with a broadcast stream. */
  process<O>(fn: BroadcastProcessFunction<I1, I2, O>, name?: string): DataStream<O>;
  process<O>(fn: CoProcessFunction<I1, I2, O> | KeyedCoProcessFunction<K, I1, I2, O> | KeyedBroadcastProcessFunction<K, I1, I2, O> | BroadcastProcessFunction<I1, I2, O>, name = 'co-process'): DataStream<O> {
    const broadcastSide = isBroadcast(this.second);
    const hasBroadcastHandler = typeof (fn as { processBroadcastElement?: unknown }).processBroadcastElement === 'function';
    if (hasBroadcastHandler && !broadcastSide) throw new InvalidJobError(`operator '${name}': processBroadcastElement needs a broadcast second input; connect(stream.broadcast())`);
    const env = this.first.env;
    const maxParallelism = env.options.maxParallelism;
    const hash = (key: (v: any) => unknown): Partitioning => ({ kind: 'hash', key, maxParallelism });
    const keys = this.keys as Array<(v: any) => unknown> | undefined;
    const inputs = [
      this.first.input(keys ? hash(keys[0]!) : { kind: 'forward' }, 0),
      // A broadcast() stream is read straight from its producer, so every subtask gets every record whatever the parallelism.
      broadcastSide ? { ...this.second.node.inputs[0]!, logicalInput: 1 } : this.second.input(keys ? hash(keys[1]!) : { kind: 'forward' }, 1),
    ];
    const spec = {
      fn: fn as unknown as ProcessHandlers,
      methods: hasBroadcastHandler ? ['processElement', 'processBroadcastElement'] : ['processElement1', 'processElement2'],
      keys: keys && broadcastSide ? [keys[0]!] : keys,
      broadcastInput: hasBroadcastHandler ? 1 : undefined,
    };
    const node = env.add({ name, kind: 'operator', inputs, chaining: 'default', createOperator: () => new ProcessOperator(name, spec) });
    const Ctor = this.first.constructor as new (e: typeof env, n: typeof node) => DataStream<O>;
    return new Ctor(env, node);
  }
}

/** True when `stream` is the output of `broadcast()`. */
export function isBroadcast(stream: DataStream<any>): boolean {
  return stream.node.inputs.length === 1 && stream.node.inputs[0]!.partitioning.kind === 'broadcast';
}
