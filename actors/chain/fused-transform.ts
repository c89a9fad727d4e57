import { reserveOutput, trimOutput, type BatchOut, type Operator } from '../../src/runtime/operator.ts';
import { UserFunctionError } from '../../src/errors.ts';
import type { TraceEntries } from '../../src/telemetry/record-tracer.ts';

/** One stateless step of a chain. */
export type TransformStep =
  | { kind: 'map'; name: string; fn: (value: any) => unknown }
  | { kind: 'filter'; name: string; fn: (value: any) => boolean }
  | { kind: 'flatMap'; name: string; fn: (value: any) => Iterable<unknown> };

/**
 * Runs records [from, to) of a batch through the fused steps, writing outputs from index `n` of
 * arrays the caller sized (a flatMap may write past their length); returns the index after the
 * last output. On a failure the arrays are cut after the outputs written, then `fail` throws.
 */
type BatchFn = (values: unknown[], timestamps: number[] | null, out: BatchOut, fns: Function[], fail: (step: number, i: number, e: unknown, record: unknown) => never, from: number, to: number, n: number) => number;

/**
 * Fuses consecutive map/filter/flatMap steps into ONE generated loop (as Flink chains operators,
 * and closer to what a hand-written loop does): each record passes all steps in registers, with
 * no intermediate array per step and monomorphic call sites per step. The code is generated once
 * per chain, not per record.
 */
export function compileSteps(steps: TransformStep[]): BatchFn {
  // Generates the code of steps k… for value `v${k}`; `label` is the loop a filter continues.
  const gen = (k: number, label: string): string => {
    const v = `v${k}`;
    if (k === steps.length) return `ov[n] = ${v}; if (ot !== null) ot[n] = t; n++;`;
    const next = gen.bind(null, k + 1);
    switch (steps[k]!.kind) {
      case 'map':
        return `step = ${k}; const v${k + 1} = f${k}(${v});\n${next(label)}`;
      case 'filter':
        return `step = ${k}; if (!f${k}(${v})) continue ${label}; const v${k + 1} = ${v};\n${next(label)}`;
      case 'flatMap':
        // Arrays get an indexed loop (no iterator allocated); other iterables a for-of.
        return (
          `step = ${k}; const r${k} = f${k}(${v});\n` +
          `if (Array.isArray(r${k})) { a${k}: for (let j${k} = 0; j${k} < r${k}.length; j${k}++) { const v${k + 1} = r${k}[j${k}];\n${next(`a${k}`)} } }\n` +
          `else { b${k}: for (const v${k + 1} of r${k}) {\n${next(`b${k}`)} } }`
        );
    }
  };
  const fnDecls = steps.map((_, k) => `const f${k} = fns[${k}];`).join(' ');
  const src = `${fnDecls}
const ov = out.values; const ot = out.timestamps;
let step = 0; let i = from;
try {
  outer: for (; i < to; i++) {
    const v0 = values[i]; const t = timestamps === null ? NaN : timestamps[i];
    ${gen(0, 'outer')}
  }
} catch (e) { ov.length = n; if (ot !== null) ot.length = n; fail(step, i, e, values[i]); }
return n;`;
  return new Function('values', 'timestamps', 'out', 'fns', 'fail', 'from', 'to', 'n', src) as BatchFn;
}

/**
 * The operator for a fused run of stateless steps.
 * @example
 * ```ts
 * const op = new FusedTransform([{ kind: 'map', name: 'double', fn: (x: number) => x * 2 }])
 * ```
 */
export class FusedTransform implements Operator {
  readonly name: string;
  readonly stateful = false;
  private readonly steps: TransformStep[];
  private readonly fns: Function[];
  private readonly batch: BatchFn;

  constructor(steps: TransformStep[]) {
    this.steps = steps;
    this.name = steps.map((s) => s.name).join(' -> ');
    this.fns = steps.map((s) => s.fn);
    this.batch = compileSteps(steps);
  }

  processBatch(values: unknown[], timestamps: number[] | null, _input: number, out: BatchOut): void {
    const base = reserveOutput(out, values.length);
    trimOutput(out, this.batch(values, timestamps, out, this.fns, this.fail, 0, values.length, base));
  }

  /**
   * The same, also recording where the sampled inputs (ascending indexes) went: `hits` receives
   * pairs (input index, output index); `sampled` are the batch's trace entries. The batch runs in segments split at the sampled records,
   * through the same loop as untraced batches (a second, traced loop would be colder and slower),
   * into arrays sized once for the whole batch (sizing them per segment copied them each time).
   */
  processBatchTraced(values: unknown[], timestamps: number[] | null, out: BatchOut, sampled: TraceEntries, hits: number[]): void {
    let n = reserveOutput(out, values.length);
    let from = 0;
    for (let e = 0; e < sampled.length; e++) {
      const s = sampled[e]![0];
      if (s < from || s >= values.length) continue;
      n = this.batch(values, timestamps, out, this.fns, this.fail, from, s, n);
      const before = n;
      n = this.batch(values, timestamps, out, this.fns, this.fail, s, s + 1, n);
      for (let o = before; o < n; o++) hits.push(s, o);
      from = s + 1;
    }
    trimOutput(out, this.batch(values, timestamps, out, this.fns, this.fail, from, values.length, n));
  }

  private readonly fail = (step: number, i: number, e: unknown, record: unknown): never => {
    throw new UserFunctionError(this.steps[step]!.name, i, record, e);
  };
}
