import { reserveOutput, trimOutput, type BatchOut, type Operator, type OperatorContext } from '../src/runtime/operator.ts';
import type { WatermarkGenerator, WatermarkStrategy } from '../src/time/watermark-strategy.ts';
import { BadRecordError, UserFunctionError } from '../src/errors.ts';

/**
 * Assigns event timestamps and emits watermarks, once per batch (so replays emit them at the same
 * places). A record without a finite timestamp goes to dead letters with the reason.
 */
export class TimestampsAndWatermarks<T> implements Operator<T, T> {
  readonly name: string;
  readonly stateful = true;
  private readonly strategy: WatermarkStrategy<T>;
  private maxTimestamp = -Infinity;
  private emitted = -Infinity;
  private ctx!: OperatorContext;
  private readonly generator: WatermarkGenerator<T> | undefined;

  constructor(name: string, strategy: WatermarkStrategy<T>) {
    this.name = name;
    this.strategy = strategy;
    this.generator = strategy.generator?.();
  }

  /** The strategy's idleness timeout (read by the source actor). */
  get idlenessMs(): number | undefined {
    return this.strategy.idlenessMs;
  }

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
  }

  processBatch(values: T[], timestamps: number[] | null, _input: number, out: BatchOut<T> & { watermark?: number }): void {
    const assign = this.strategy.assigner;
    const gen = this.generator;
    const ov = out.values;
    const ot: number[] = (out.timestamps ??= []);
    let max = this.maxTimestamp;
    let n = reserveOutput(out, values.length);
    let i = 0;
    try {
      for (; i < values.length; i++) {
        const v = values[i]!;
        const previous = timestamps === null ? NaN : timestamps[i]!;
        const ts = assign ? assign(v, previous) : previous;
        if (typeof ts !== 'number' || !Number.isFinite(ts)) {
          this.ctx.deadLetter(new BadRecordError(`no valid timestamp (got ${String(ts)}); did the timestamp assigner read the right field?`, { operator: this.name }), v);
          continue;
        }
        ov[n] = v;
        ot[n++] = ts;
        if (ts > max) max = ts;
        if (gen !== undefined) gen.onEvent(v, ts);
      }
    } catch (e) {
      throw new UserFunctionError(this.name, i, values[i], e);
    } finally {
      trimOutput(out, n);
    }
    this.maxTimestamp = max;
    const wm = gen !== undefined ? gen.currentWatermark() : max - this.strategy.maxOutOfOrdernessMs - 1;
    if (wm > this.emitted) {
      this.emitted = wm;
      out.watermark = wm;
    }
  }

  snapshotState(): [number, number, unknown] {
    return [this.maxTimestamp, this.emitted, this.generator?.snapshot?.() ?? null];
  }

  restoreState(state: unknown): void {
    const s = state as [number, number, unknown] | null;
    this.maxTimestamp = s?.[0] ?? -Infinity;
    this.emitted = s?.[1] ?? -Infinity;
    if (s && s[2] !== null && s[2] !== undefined) this.generator?.restore?.(s[2]);
  }

  /**
   * Restored at another parallelism (a savepoint of a job whose source feeds more timestamp
   * subtasks than before), a subtask may get records any old subtask had: it starts from the
   * lowest timestamp and watermark they reached, so nothing it reads counts as late. A custom
   * generator's own state cannot be merged, so it starts afresh unless there was one subtask.
   */
  restoreRescaled(states: unknown[]): void {
    if (states.length === this.ctx.parallelism) return this.restoreState(states[this.ctx.subtask] ?? null);
    const s = states.filter((x): x is [number, number, unknown] => Array.isArray(x));
    if (s.length === 0) return this.restoreState(null);
    this.restoreState([Math.min(...s.map((x) => x[0])), Math.min(...s.map((x) => x[1])), s.length === 1 ? s[0]![2] : null]);
  }
}
