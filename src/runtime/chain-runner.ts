import type { BatchOut, Operator } from './operator.ts';
import type { OutputGate } from './output-gate.ts';
import type { EffectGuard } from './effect-guard.ts';
import { InvalidJobError } from '../errors.ts';
import { RecordTracer, type HopNames, type TraceEntries } from '../telemetry/record-tracer.ts';

/** An operator that writes to the outside world; the runtime guards its writes against replay. */
export interface SinkOperator {
  readonly sink: true;
}

function isSink(op: Operator): boolean {
  return (op as Partial<SinkOperator>).sink === true;
}

/** What a batch without sampled records carries (one shared array, not one per batch). */
const NO_TRACED_RECORDS: ReadonlyArray<readonly [number, string]> = Object.freeze([]);

/**
 * Runs the operators of one chain over a batch: operator k's output arrays are operator k+1's
 * input, and the last operator's output goes to the output gate. Watermarks and end of input pass
 * through the chain in order, after the records each operator emits for them.
 */
export class ChainRunner {
  private readonly ops: Operator[];
  private readonly gate: OutputGate;
  private readonly sinkGuard: EffectGuard;
  private readonly sides = new Map<string, { out: BatchOut; gate: OutputGate | undefined }>();
  currentWatermark = -Infinity;
  /** The sampled records of the batch being processed ([index, traceparent], ascending), if it has any. */
  private traced: TraceEntries | undefined;
  private readonly tracer: RecordTracer | undefined;
  private readonly subtask: number;
  /** Names and attributes of this chain's spans (its name is its operators' names). */
  private readonly hopNames: HopNames | undefined;

  constructor(ops: Operator[], gate: OutputGate, sinkGuard: EffectGuard, tracer?: RecordTracer, subtask = 0, name = ops.map((op) => op.name).join(' -> ')) {
    this.tracer = tracer;
    this.subtask = subtask;
    this.hopNames = tracer?.names(name, subtask);
    ops.forEach((op, i) => {
      if (isSink(op) && i !== ops.length - 1) throw new InvalidJobError(`sink '${op.name}' must be the last operator of its chain`);
    });
    this.ops = ops;
    this.gate = gate;
    this.sinkGuard = sinkGuard;
  }

  /**
   * Runs a batch through operators `from`…end. Returns a promise only when a sink writes
   * asynchronously. A batch with sampled records gets one span per record for this actor hop.
   */
  run(values: unknown[], timestamps: number[] | null, input: number, from = 0, trace?: TraceEntries): void | Promise<void> {
    if (this.tracer === undefined || trace === undefined || trace.length === 0) return this.runOps(values, timestamps, input, from, undefined);
    const tracer = this.tracer;
    const hop = tracer.open(trace, this.hopNames!);
    let r: void | Promise<void>;
    try {
      r = this.runOps(values, timestamps, input, from, hop.entries);
    } catch (error) {
      tracer.close(hop);
      throw error;
    }
    if (r instanceof Promise) return r.finally(() => tracer.close(hop));
    tracer.close(hop);
  }

  private runOps(values: unknown[], timestamps: number[] | null, input: number, from: number, trace: TraceEntries | undefined): void | Promise<void> {
    let v = values;
    let t = timestamps;
    let tr = trace;
    for (let k = from; k < this.ops.length; k++) {
      const op = this.ops[k]!;
      if (v.length === 0) return;
      if (isSink(op)) {
        const skip = this.sinkGuard.admit(v.length);
        if (skip > 0) {
          v = v.slice(skip);
          t = t ? t.slice(skip) : null;
          if (v.length === 0) return;
        }
        const r = op.processBatch(v, t, k === from ? input : 0, { values: [], timestamps: null });
        this.flushSideOutputs();
        return r;
      }
      const out: BatchOut & { watermark?: number } = { values: [], timestamps: t === null ? null : [] };
      if (tr !== undefined) tr = this.runTraced(op, v, t, k === from ? input : 0, out, tr);
      else op.processBatch(v, t, k === from ? input : 0, out);
      if (out.watermark !== undefined) {
        const wm = out.watermark;
        const r = this.runOps(out.values, out.timestamps, 0, k + 1, tr);
        if (r instanceof Promise) return r.then(() => this.watermark(wm, k + 1));
        return this.watermark(wm, k + 1);
      }
      v = out.values;
      t = out.timestamps;
    }
    if (v.length > 0) this.gate.emitBatch(v, t, tr);
    this.flushSideOutputs();
  }

  /** A batch with sampled records: which output indexes they went to (their hop span goes with them). */
  private runTraced(op: Operator, v: unknown[], t: number[] | null, input: number, out: BatchOut, tr: TraceEntries): TraceEntries | undefined {
    this.traced = tr;
    try {
      const traceable = op as Operator & { processBatchTraced?: (v: unknown[], t: number[] | null, out: BatchOut, sampled: TraceEntries, hits: number[]) => void };
      if (traceable.processBatchTraced) {
        const hits: number[] = [];
        traceable.processBatchTraced(v, t, out, tr, hits);
        return RecordTracer.follow(tr, hits);
      }
      op.processBatch(v, t, input, out);
      // One output per input (map-like, running reduce): records keep their index. Otherwise the record's path ends here.
      return out.values.length === v.length ? tr : undefined;
    } finally {
      this.traced = undefined;
    }
  }

  /** The sampled records of the batch being processed ([index, traceparent], ascending). */
  tracedRecords(): ReadonlyArray<readonly [number, string]> {
    return this.traced ?? NO_TRACED_RECORDS;
  }

  /** Passes a watermark through operators `from`…end, then downstream. */
  watermark(wm: number, from = 0): void | Promise<void> {
    for (let k = from; k < this.ops.length; k++) {
      const op = this.ops[k]!;
      if (!op.onWatermark) continue;
      const out: BatchOut = { values: [], timestamps: [] };
      op.onWatermark(wm, out);
      if (out.values.length > 0) {
        // What the watermark fired may reach an asynchronous sink: the actor waits for it before
        // taking the next input (a barrier must not overtake a write into the sink's transaction).
        const r = this.run(out.values, out.timestamps, 0, k + 1);
        if (r instanceof Promise) return r.then(() => this.watermark(wm, k + 1));
      }
    }
    if (wm > this.currentWatermark) {
      this.currentWatermark = wm;
      this.gate.emitControl((seq) => ({ kind: 'watermark', seq, time: wm }));
      for (const side of this.sides.values()) side.gate?.emitControl((seq) => ({ kind: 'watermark', seq, time: wm }));
    }
  }

  /** Processing time reached `now`: operators fire their due processing-time timers. */
  processingTime(now: number): void | Promise<void> {
    for (let k = 0; k < this.ops.length; k++) {
      const op = this.ops[k]!;
      if (!op.onProcessingTime) continue;
      const out: BatchOut = { values: [], timestamps: [] };
      op.onProcessingTime(now, out);
      if (out.values.length > 0) {
        const r = this.run(out.values, out.timestamps, 0, k + 1);
        if (r instanceof Promise) return r;
      }
    }
    this.flushSideOutputs();
  }

  /** The earliest processing-time timer of any operator in the chain. */
  nextProcessingTime(): number | undefined {
    let next: number | undefined;
    for (const op of this.ops) {
      const t = op.nextProcessingTime?.();
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    return next;
  }

  /** The shortest idleness timeout of the chain's watermark strategies, if any sets one. */
  idlenessMs(): number | undefined {
    let ms: number | undefined;
    for (const op of this.ops) {
      const t = (op as { idlenessMs?: number }).idlenessMs;
      if (t !== undefined && (ms === undefined || t < ms)) ms = t;
    }
    return ms;
  }

  /** End of input: each operator emits what remains, in chain order. */
  end(): void | Promise<void> {
    for (let k = 0; k < this.ops.length; k++) {
      const op = this.ops[k]!;
      if (!op.onEnd) continue;
      const out: BatchOut = { values: [], timestamps: [] };
      const r = op.onEnd(out);
      if (r instanceof Promise) return r;
      if (out.values.length > 0) {
        const w = this.run(out.values, out.timestamps, 0, k + 1);
        if (w instanceof Promise) {
          const rest = k + 1;
          return w.then(() => this.endFrom(rest));
        }
      }
    }
  }

  private endFrom(from: number): void | Promise<void> {
    for (let k = from; k < this.ops.length; k++) {
      const r = this.ops[k]!.onEnd?.({ values: [], timestamps: [] });
      if (r instanceof Promise) return r;
    }
  }

  /** The buffer an operator writes side-output records to. */
  sideOutput(tag: string, gate: OutputGate | undefined): BatchOut {
    let side = this.sides.get(tag);
    if (!side) {
      side = { out: { values: [], timestamps: [] }, gate };
      this.sides.set(tag, side);
    }
    return side.out;
  }

  /** Drops side-output records of a batch that failed half-way: a restored actor replays that batch and emits them again. */
  discardSideOutputs(): void {
    for (const side of this.sides.values()) {
      side.out.values = [];
      side.out.timestamps = [];
    }
  }

  /** Moves side-output records into their gates (records for a tag nobody consumes are discarded by design of the plan). */
  flushSideOutputs(): void {
    for (const side of this.sides.values()) {
      if (side.out.values.length === 0) continue;
      side.gate?.emitBatch(side.out.values, side.out.timestamps);
      side.out.values = [];
      side.out.timestamps = [];
    }
  }
}
