import type { Transformation } from '../graph/transformation.ts';
import type { Partitioning } from '../runtime/partitioner.ts';
import type { Sink, TwoPhaseCommitSink } from '../connectors/sink.ts';
import type { StreamEnvironment } from './stream-environment.ts';
import { PrintSink } from '../connectors/collect-sink.ts';
import { KeyedStream } from './keyed-stream.ts';
import { PassThrough } from '../../actors/pass-through.ts';
import { TimestampsAndWatermarks } from '../../actors/timestamps.ts';
import type { WatermarkStrategy } from '../time/watermark-strategy.ts';
import type { OutputTag } from './output-tag.ts';
import { InvalidJobError } from '../errors.ts';
import type { ProcessFunction } from './process-function.ts';
import { ProcessOperator, type ProcessHandlers } from '../../actors/process/process-operator.ts';
import { ConnectedStreams } from './connected-streams.ts';
import { JoinedStreams } from './joined-streams.ts';

/**
 * A stream of records of type `T`. Every method returns a new stream; nothing runs until
 * `env.execute()`.
 * @example
 * ```ts
 * env.fromCollection(['a b', 'c']).flatMap((line) => line.split(' ')).filter((w) => w !== 'c').print()
 * ```
 */
export class DataStream<T> {
  /** @internal */
  readonly env: StreamEnvironment;
  /** @internal */
  readonly node: Transformation;

  constructor(env: StreamEnvironment, node: Transformation) {
    this.env = env;
    this.node = node;
  }

  /** One output per record. */
  map<R>(fn: (value: T) => R, name = 'map'): DataStream<R> {
    return this.step<R>({ kind: 'map', name, fn }, name);
  }

  /** Keeps the records for which `predicate` is true. */
  filter(predicate: (value: T) => boolean, name = 'filter'): DataStream<T> {
    return this.step<T>({ kind: 'filter', name, fn: predicate }, name);
  }

  /** Zero or more outputs per record (return an array or any iterable). */
  flatMap<R>(fn: (value: T) => Iterable<R>, name = 'flatMap'): DataStream<R> {
    return this.step<R>({ kind: 'flatMap', name, fn }, name);
  }

  /** Partitions by key: all records with the same key go to the same subtask, in order. */
  keyBy<K>(key: (value: T) => K): KeyedStream<T, K> {
    return new KeyedStream<T, K>(this, key);
  }

  /** Gives records event timestamps and emits watermarks (once per batch). */
  assignTimestampsAndWatermarks(strategy: WatermarkStrategy<T>, name = 'timestamps'): DataStream<T> {
    return new DataStream<T>(this.env, this.env.add({ name, kind: 'operator', inputs: [this.input()], chaining: 'default', createOperator: () => new TimestampsAndWatermarks<T>(name, strategy) }));
  }

  /** The records the last operator sent to side output `tag` (e.g. late data of a window). */
  getSideOutput<S>(tag: OutputTag<S>): DataStream<S> {
    const node = this.env.add({ name: `side:${tag.id}`, kind: 'step', inputs: [{ from: this.node, partitioning: { kind: 'forward' }, logicalInput: 0, sideTag: tag.id }], chaining: 'default', step: { kind: 'map', name: `side:${tag.id}`, fn: (v: S) => v } });
    return new DataStream<S>(this.env, node);
  }

  /** Merges streams of the same type into one (records interleave; watermark is the minimum). */
  union(...others: DataStream<T>[]): DataStream<T> {
    for (const o of others) if (o.env !== this.env) throw new InvalidJobError('union: every stream must come from the same StreamEnvironment');
    const node = this.env.add({ name: 'union', kind: 'operator', inputs: [this, ...others].map((s) => s.input()), chaining: 'default', createOperator: () => new PassThrough('union') });
    return new DataStream<T>(this.env, node);
  }

  /** Runs a process function over every record (side outputs via `ctx.output`). */
  process<R>(fn: ProcessFunction<T, R>, name = 'process'): DataStream<R> {
    const spec = { fn: fn as unknown as ProcessHandlers, methods: ['processElement'] };
    return new DataStream<R>(this.env, this.env.add({ name, kind: 'operator', inputs: [this.input()], chaining: 'default', createOperator: () => new ProcessOperator(name, spec) }));
  }

  /** Connects another stream (of another type) for one operator to process both; a `broadcast()` stream gives broadcast state. */
  connect<T2>(other: DataStream<T2>): ConnectedStreams<T, T2> {
    return new ConnectedStreams<T, T2>(this, other);
  }

  /** Joins with another stream on equal keys within windows: `a.join(b).where(ka).equalTo(kb).window(assigner).apply(fn)`. */
  join<T2>(other: DataStream<T2>): JoinedStreams<T, T2> {
    return new JoinedStreams<T, T2>(this, other);
  }

  /** Spreads batches round-robin over the next operator's subtasks. */
  rebalance(): DataStream<T> {
    return this.repartition({ kind: 'rebalance' }, 'rebalance');
  }

  /** Every subtask of the next operator gets every record. */
  broadcast(): DataStream<T> {
    return this.repartition({ kind: 'broadcast' }, 'broadcast');
  }

  /** Writes to a sink. */
  sinkTo(sink: Sink<T> | TwoPhaseCommitSink<T, any>, name?: string): StreamSink {
    return new StreamSink(this.env.add({ name: name ?? sink.name, kind: 'sink', inputs: [this.input()], chaining: 'default', sink: sink as Sink<unknown> }), this.env.options.maxParallelism);
  }

  /** Prints every record on stdout (subtask-prefixed when parallel). */
  print(prefix = ''): StreamSink {
    return this.sinkTo(new PrintSink<T>(prefix));
  }

  /** Names the last operator (used in errors, metrics, dead letters). */
  name(name: string): this {
    this.node.name = name;
    if (this.node.step) this.node.step = { ...this.node.step, name };
    return this;
  }

  /** A stable id of the last operator, used to match state when restoring a savepoint. */
  uid(uid: string): this {
    this.node.uid = uid;
    return this;
  }

  /** Parallelism of the last operator. */
  setParallelism(parallelism: number): this {
    this.node.parallelism = checkParallelism(parallelism, this.env.options.maxParallelism);
    return this;
  }

  /** Runs the last operator in an actor of its own (not chained before or after). */
  disableChaining(): this {
    this.node.chaining = 'never';
    return this;
  }

  /** Starts a new chain at the last operator. */
  startNewChain(): this {
    this.node.chaining = 'head';
    return this;
  }

  /** @internal */
  input(partitioning: Partitioning = { kind: 'forward' }, logicalInput = 0): Transformation['inputs'][number] {
    return { from: this.node, partitioning, logicalInput };
  }

  private step<R>(step: NonNullable<Transformation['step']>, name: string): DataStream<R> {
    return new DataStream<R>(this.env, this.env.add({ name, kind: 'step', inputs: [this.input()], chaining: 'default', step }));
  }

  private repartition(partitioning: Partitioning, name: string): DataStream<T> {
    const identity = { kind: 'map' as const, name, fn: (v: T) => v };
    return new DataStream<T>(this.env, this.env.add({ name, kind: 'step', inputs: [this.input(partitioning)], chaining: 'default', step: identity }));
  }
}

/**
 * The end of a stream at a sink; configures the sink operator.
 * @example
 * ```ts
 * stream.sinkTo(sink).name('results').setParallelism(1)
 * ```
 */
export class StreamSink {
  /** @internal */
  readonly node: Transformation;

  constructor(
    node: Transformation,
    private readonly maxParallelism: number,
  ) {
    this.node = node;
  }

  /** Names the sink operator. */
  name(name: string): this {
    this.node.name = name;
    return this;
  }

  /** A stable id of the sink, used to match state when restoring a savepoint. */
  uid(uid: string): this {
    this.node.uid = uid;
    return this;
  }

  /** Parallelism of the sink. */
  setParallelism(parallelism: number): this {
    this.node.parallelism = checkParallelism(parallelism, this.maxParallelism);
    return this;
  }

  /** Runs the sink in an actor of its own. */
  disableChaining(): this {
    this.node.chaining = 'never';
    return this;
  }
}

/** A parallelism the job can run: a positive integer no larger than the maximum (the key groups). */
function checkParallelism(parallelism: number, maxParallelism: number): number {
  if (!Number.isInteger(parallelism) || parallelism < 1) throw new InvalidJobError(`setParallelism: expected a positive integer, got ${parallelism}`);
  if (parallelism > maxParallelism) throw new InvalidJobError(`setParallelism(${parallelism}) exceeds maxParallelism ${maxParallelism}`);
  return parallelism;
}
