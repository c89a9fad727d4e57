import type { BatchOut, Operator, OperatorContext } from '../../src/runtime/operator.ts';
import type { OutputTag } from '../../src/api/output-tag.ts';
import type { ProcessCollector, TimerService } from '../../src/api/process-function.ts';
import type { MapState, MapStateDescriptor, StateDescriptor } from '../../src/state/state-descriptor.ts';
import type { KeyedTimers } from '../../src/state/timer-service.ts';
import { KeyedStateBackend, type KeyedBackendSnapshot } from '../../src/state/keyed-state-backend.ts';
import { BroadcastState } from './broadcast-state.ts';
import { stateMapsFor } from '../../src/state/backends/state-backend-option.ts';
import { BadRecordError, InvalidJobError, UserFunctionError } from '../../src/errors.ts';
import type { CheckpointParts } from '../../src/checkpoint/checkpoint-parts.ts';

/** The user function in the shape the operator calls it: element handlers per input, optional timers. */
export interface ProcessHandlers {
  open?(ctx: unknown): void;
  close?(): void;
  onTimer?(timestamp: number, ctx: unknown, out: ProcessCollector<unknown>): void;
}

/** How a process operator is set up. */
export interface ProcessSpec {
  /** The user's function (an object or class instance); each subtask gets `Object.create` of it. */
  fn: ProcessHandlers;
  /** Method to call per input: `processElement`, or `processElement1` / `processElement2`. */
  methods: string[];
  /** Key selector per input (keyed operators); absent: not keyed. */
  keys?: Array<(value: any) => unknown>;
  /** Input index that carries broadcast records (its handler may write broadcast state). */
  broadcastInput?: number;
}

/**
 * Runs a process function (plain, keyed, co-, keyed co- or broadcast) over batches: sets the
 * current key and timestamp on one reused context, calls the user's handler, and fires event-
 * and processing-time timers. Keyed state and timers live in a {@link KeyedStateBackend} and are
 * snapshotted per key group.
 */
export class ProcessOperator implements Operator {
  readonly name: string;
  readonly stateful: boolean;
  private readonly spec: ProcessSpec;
  private fn!: ProcessHandlers & Record<string, unknown>;
  private handlers: Array<(value: unknown, ctx: unknown, out: ProcessCollector<unknown>) => void> = [];
  private backend: KeyedStateBackend<unknown> | undefined;
  private readonly broadcast = new BroadcastState();
  private opCtx!: OperatorContext;
  private target: BatchOut = { values: [], timestamps: null };
  /** The one context object handed to user code, updated per record. */
  private readonly ctx: Record<string, unknown> & { timestamp: number | undefined; currentKey: unknown; timeDomain: string; readOnlyBroadcast: boolean };
  private readonly out: ProcessCollector<unknown>;

  constructor(name: string, spec: ProcessSpec) {
    this.name = name;
    this.spec = spec;
    this.stateful = spec.keys !== undefined || spec.broadcastInput !== undefined;
    const self = this;
    const timers: TimerService = {
      currentWatermark: () => self.opCtx.currentWatermark(),
      currentProcessingTime: () => self.opCtx.clock.now(),
      registerEventTimeTimer: (t) => self.timers('event').register(self.ctx.currentKey, t),
      registerProcessingTimeTimer: (t) => self.timers('processing').register(self.ctx.currentKey, t),
      deleteEventTimeTimer: (t) => self.timers('event').delete(self.ctx.currentKey, t),
      deleteProcessingTimeTimer: (t) => self.timers('processing').delete(self.ctx.currentKey, t),
    };
    const state = <S>(d: StateDescriptor): S => {
      if (!self.backend) throw new InvalidJobError(`operator '${name}': keyed state needs a keyed stream; call keyBy(...) before process(...)`);
      return self.backend.state<S>(d);
    };
    this.ctx = {
      timestamp: undefined,
      currentKey: undefined,
      timeDomain: 'eventTime',
      readOnlyBroadcast: true,
      job: '',
      operator: name,
      subtask: 0,
      parallelism: 1,
      output: (tag: OutputTag<unknown>, value: unknown) => {
        const side = self.opCtx.sideOutput(tag.id);
        side.values.push(value);
        side.timestamps?.push(self.ctx.timestamp ?? NaN);
      },
      timerService: () => timers,
      getState: state,
      getListState: state,
      getMapState: state,
      getReducingState: state,
      getAggregatingState: state,
      getBroadcastState: <UK, UV>(d: MapStateDescriptor<UK, UV>): MapState<UK, UV> => self.broadcast.get(d, self.ctx.readOnlyBroadcast, name),
    };
    this.out = {
      collect(value) {
        const t = self.target;
        t.values.push(value);
        if (t.timestamps !== null) t.timestamps.push(self.ctx.timestamp ?? NaN);
      },
      emit(value, timestamp) {
        const t = self.target;
        t.values.push(value);
        if (t.timestamps !== null) t.timestamps.push(timestamp);
      },
    };
  }

  private timers(domain: 'event' | 'processing'): KeyedTimers<unknown> {
    if (!this.backend) throw new InvalidJobError(`operator '${this.name}': timers need a keyed stream; call keyBy(...) before process(...)`);
    this.backend.markTimersDirty();
    return domain === 'event' ? this.backend.eventTimers : this.backend.processingTimers;
  }

  open(ctx: OperatorContext): void {
    this.opCtx = ctx;
    Object.assign(this.ctx, { job: ctx.job, subtask: ctx.subtask, parallelism: ctx.parallelism });
    if (this.spec.keys) {
      this.backend?.close();
      this.backend = new KeyedStateBackend(this.name, ctx.clock, ctx.maxParallelism, ctx.parallelism, ctx.subtask, stateMapsFor(ctx.stateBackend, `${ctx.job}-${this.name}-${ctx.subtask}`, ctx.maxParallelism));
    }
    this.fn = Object.create(this.spec.fn) as ProcessHandlers & Record<string, unknown>;
    this.handlers = this.spec.methods.map((m) => {
      const h = this.fn[m];
      if (typeof h !== 'function') throw new InvalidJobError(`operator '${this.name}': the process function has no ${m}() method`);
      return h as (value: unknown, ctx: unknown, out: ProcessCollector<unknown>) => void;
    });
    this.fn.open?.(this.ctx);
  }

  processBatch(values: unknown[], timestamps: number[] | null, input: number, out: BatchOut): void {
    this.target = out;
    const handler = this.handlers[input]!;
    const key = this.spec.keys?.[input];
    const backend = this.backend;
    const ctx = this.ctx;
    const fn = this.fn;
    ctx.readOnlyBroadcast = input !== this.spec.broadcastInput;
    for (let i = 0; i < values.length; i++) {
      try {
        for (; i < values.length; i++) {
          const v = values[i];
          ctx.timestamp = timestamps === null ? undefined : timestamps[i];
          if (key !== undefined) backend!.currentKey = ctx.currentKey = key(v);
          handler.call(fn, v, ctx, this.out);
        }
      } catch (e) {
        // Bad input (e.g. a join record behind the watermark) is not a failure of the function: dead-letter it and go on.
        if (e instanceof BadRecordError) this.opCtx.deadLetter(withOperator(e, this.name), values[i]);
        else throw new UserFunctionError(this.name, i, values[i], e);
      }
    }
    backend?.endBatch();
  }

  onWatermark(watermark: number, out: BatchOut): void {
    if (this.backend) this.fire(this.backend.eventTimers, watermark, 'eventTime', out);
  }

  onProcessingTime(now: number, out: BatchOut): void {
    if (this.backend) this.fire(this.backend.processingTimers, now, 'processingTime', out);
  }

  nextProcessingTime(): number | undefined {
    return this.backend?.processingTimers.next();
  }

  private fire(timers: KeyedTimers<unknown>, upTo: number, domain: 'eventTime' | 'processingTime', out: BatchOut): void {
    const onTimer = this.fn.onTimer;
    if (!onTimer) return;
    this.target = out;
    const ctx = this.ctx;
    ctx.timeDomain = domain;
    ctx.readOnlyBroadcast = true;
    for (let key = timers.pollDue(upTo); key !== undefined; key = timers.pollDue(upTo)) {
      const t = timers.lastTime;
      this.backend!.currentKey = ctx.currentKey = key;
      this.backend!.markTimersDirty();
      ctx.timestamp = t;
      try {
        onTimer.call(this.fn, t, ctx, this.out);
      } catch (e) {
        throw new UserFunctionError(this.name, -1, { timer: t, domain, key }, e);
      }
    }
    ctx.timeDomain = 'eventTime';
    this.backend?.endBatch();
  }

  snapshotDelta(): unknown {
    return { keyed: this.backend?.delta() ?? null, broadcast: this.broadcast.snapshot() };
  }

  restoreDelta(delta: unknown): void {
    const d = delta as { keyed: Parameters<KeyedStateBackend<unknown>['applyDelta']>[0] | null; broadcast: unknown };
    if (d.keyed) this.backend?.applyDelta(d.keyed);
    this.broadcast.restore(d.broadcast);
  }

  clearDelta(): void {
    this.backend?.clearDelta();
  }

  snapshotState(): unknown {
    return { keyed: this.backend?.snapshot() ?? null, broadcast: this.broadcast.snapshot() };
  }

  /** On lmdb a full local snapshot is a read view of the database: cheap whatever the state's size, so no deltas are needed. */
  cheapLocalSnapshot(): boolean {
    return this.backend?.cheapLocalSnapshot === true;
  }

  snapshotLocal(): unknown {
    return { keyed: this.backend?.localSnapshot() ?? null, broadcast: this.broadcast.snapshot() };
  }

  /** Keyed state goes to checkpoints key group by key group, only the changed ones, packed after the barrier (see `KeyedStateBackend.checkpointParts`). */
  checkpointParts(checkpointId: number): CheckpointParts | undefined {
    const parts = this.backend?.checkpointParts(checkpointId);
    if (!parts) return undefined;
    return { ...parts, base: { keyedParts: 1, maxParallelism: this.backend!.maxParallelism, broadcast: this.broadcast.snapshot() } satisfies Omit<KeyedPartsState, 'groups'> };
  }

  notifyCheckpointComplete(checkpointId: number): void {
    this.backend?.notifyCheckpointComplete(checkpointId);
  }

  restoreState(state: unknown): void {
    this.restoreRescaled(state ? [state] : []);
  }

  /** Keyed state by key group from every old subtask; broadcast state is the same everywhere, so one copy. */
  restoreRescaled(states: unknown[]): void {
    // A checkpoint written by key group restores as `{ ...base, groups }`: back to the layout of snapshotState().
    const s = (states as Array<ProcessState | KeyedPartsState | null>).map((x) => (x && 'keyedParts' in x ? { keyed: { maxParallelism: x.maxParallelism, groups: x.groups }, broadcast: x.broadcast } : x));
    this.backend?.restore(s.map((x) => x?.keyed));
    this.broadcast.restore(s.find((x) => x)?.broadcast ?? null);
  }

  close(): void {
    this.fn?.close?.();
    this.backend?.close();
    this.backend = undefined;
  }
}

/** The operator's state as `snapshotState()` gives it. */
interface ProcessState {
  keyed: KeyedBackendSnapshot | null;
  broadcast: unknown;
}

/** The operator's state as a checkpoint written by key group restores it. */
interface KeyedPartsState {
  keyedParts: 1;
  maxParallelism: number;
  broadcast: unknown;
  groups: KeyedBackendSnapshot['groups'];
}

/** The error with this operator named in its site (user code cannot know it). */
function withOperator(e: BadRecordError, operator: string): BadRecordError {
  return e.site.operator ? e : new BadRecordError(e.message, { ...e.site, operator });
}
