import type { Collector } from '../runtime/collector.ts';
import type { OutputTag } from './output-tag.ts';
import type {
  AggregatingState,
  AggregatingStateDescriptor,
  ListState,
  ListStateDescriptor,
  MapState,
  MapStateDescriptor,
  ReducingState,
  ReducingStateDescriptor,
  ValueState,
  ValueStateDescriptor,
} from '../state/state-descriptor.ts';

/**
 * Where a process function puts output. `collect` stamps the record with the current element's
 * event time (or the firing timer's time); `emit` sets a timestamp of your choice.
 */
export interface ProcessCollector<T> extends Collector<T> {
  collect(value: T): void;
}

/** What a function learns in `open`: where it runs, and its keyed state. */
export interface RuntimeContext {
  readonly job: string;
  readonly operator: string;
  readonly subtask: number;
  readonly parallelism: number;
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV>;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT>;
}

/** Registers and deletes the current key's timers. Timers are part of the snapshot. */
export interface TimerService {
  currentWatermark(): number;
  currentProcessingTime(): number;
  /** `onTimer` runs once the watermark reaches `time` (one timer per key and time). */
  registerEventTimeTimer(time: number): void;
  /** `onTimer` runs once the processing-time clock reaches `time`. */
  registerProcessingTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
}

/** What `processElement` learns about the current record. */
export interface ProcessContext {
  /** The record's event time (undefined on a stream without timestamps). */
  readonly timestamp: number | undefined;
  /** Sends a record to a side output. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/** The context of a keyed function: the current key, timers and state. */
export interface KeyedProcessContext<K> extends ProcessContext, RuntimeContext {
  readonly currentKey: K;
  timerService(): TimerService;
}

/** The context of `onTimer`. */
export interface OnTimerContext<K> extends KeyedProcessContext<K> {
  readonly timeDomain: 'eventTime' | 'processingTime';
}

/**
 * A function over each record of a stream (Flink's ProcessFunction), with side outputs.
 * @example
 * ```ts
 * stream.process<string>({ processElement(v, ctx, out) { if (v.ok) out.collect(v.id); else ctx.output(errors, v) } })
 * ```
 */
export interface ProcessFunction<I, O> {
  open?(ctx: RuntimeContext): void;
  processElement(value: I, ctx: ProcessContext, out: ProcessCollector<O>): void;
  close?(): void;
}

/**
 * A function over each record of a keyed stream with keyed state and timers (Flink's
 * KeyedProcessFunction). Each subtask gets its own instance (`Object.create` of yours), so
 * fields set in `open` are per subtask.
 * @example
 * ```ts
 * class IdleAlert implements KeyedProcessFunction<string, Event, string> {
 *   last!: ValueState<number>
 *   open(ctx: RuntimeContext) { this.last = ctx.getState(new ValueStateDescriptor<number>('last')) }
 *   processElement(e: Event, ctx: KeyedProcessContext<string>) { this.last.update(ctx.timestamp!); ctx.timerService().registerEventTimeTimer(ctx.timestamp! + 60_000) }
 *   onTimer(t: number, ctx: OnTimerContext<string>, out: ProcessCollector<string>) { if (this.last.value()! + 60_000 === t) out.collect(`${ctx.currentKey} idle`) }
 * }
 * ```
 */
export interface KeyedProcessFunction<K, I, O> {
  open?(ctx: RuntimeContext): void;
  processElement(value: I, ctx: KeyedProcessContext<K>, out: ProcessCollector<O>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: ProcessCollector<O>): void;
  close?(): void;
}

/**
 * A function over two connected streams (Flink's CoProcessFunction); with `broadcastState`, input 2
 * is a broadcast stream whose state every subtask shares.
 */
export interface CoProcessFunction<I1, I2, O> {
  open?(ctx: RuntimeContext): void;
  processElement1(value: I1, ctx: ProcessContext, out: ProcessCollector<O>): void;
  processElement2(value: I2, ctx: ProcessContext, out: ProcessCollector<O>): void;
  close?(): void;
}

/**
 * A function over two connected keyed streams sharing keyed state and timers (Flink's
 * KeyedCoProcessFunction): the building block of custom joins.
 * @example
 * ```ts
 * const person = new ValueStateDescriptor<Person>('person'), pending = new ListStateDescriptor<Auction>('pending')
 * persons.connect(auctions).keyBy((p) => p.id, (a) => a.seller).process<Match>({
 *   processElement1(p, ctx, out) { ctx.getState(person).update(p); for (const a of ctx.getListState(pending).get()) out.collect({ p, a }); ctx.getListState(pending).clear() },
 *   processElement2(a, ctx, out) { const p = ctx.getState(person).value(); if (p) out.collect({ p, a }); else ctx.getListState(pending).add(a) },
 * })
 * ```
 */
export interface KeyedCoProcessFunction<K, I1, I2, O> {
  open?(ctx: RuntimeContext): void;
  processElement1(value: I1, ctx: KeyedProcessContext<K>, out: ProcessCollector<O>): void;
  processElement2(value: I2, ctx: KeyedProcessContext<K>, out: ProcessCollector<O>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: ProcessCollector<O>): void;
  close?(): void;
}

/** Gives access to broadcast state: writable in `processBroadcastElement`, read-only elsewhere. */
export interface BroadcastContext {
  getBroadcastState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV>;
}

/**
 * A keyed stream connected with a broadcast stream (Flink's KeyedBroadcastProcessFunction): every
 * subtask sees every broadcast record (rules, configuration) and keeps it in broadcast state that
 * the keyed side reads.
 * @example
 * ```ts
 * const rules = new MapStateDescriptor<string, Rule>('rules')
 * events.keyBy((e) => e.user).connect(ruleStream.broadcast()).process<Alert>({
 *   processElement(e, ctx, out) { const r = ctx.getBroadcastState(rules).get(e.kind); if (r && e.value > r.limit) out.collect({ user: e.user, rule: r.name }) },
 *   processBroadcastElement(r, ctx) { ctx.getBroadcastState(rules).put(r.kind, r) },
 * })
 * ```
 */
export interface KeyedBroadcastProcessFunction<K, I, B, O> {
  open?(ctx: RuntimeContext): void;
  processElement(value: I, ctx: KeyedProcessContext<K> & BroadcastContext, out: ProcessCollector<O>): void;
  processBroadcastElement(value: B, ctx: ProcessContext & BroadcastContext, out: ProcessCollector<O>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext<K> & BroadcastContext, out: ProcessCollector<O>): void;
  close?(): void;
}

/** A non-keyed stream connected with a broadcast stream (Flink's BroadcastProcessFunction). */
export interface BroadcastProcessFunction<I, B, O> {
  open?(ctx: RuntimeContext): void;
  processElement(value: I, ctx: ProcessContext & BroadcastContext, out: ProcessCollector<O>): void;
  processBroadcastElement(value: B, ctx: ProcessContext & BroadcastContext, out: ProcessCollector<O>): void;
  close?(): void;
}
