import type { BatchOut, Operator } from '../src/runtime/operator.ts';

/**
 * Forwards records unchanged; the operator behind `union`, where several inputs merge into one
 * stream (watermark = minimum of the inputs, barriers aligned across them).
 */
export class PassThrough implements Operator {
  readonly stateful = false;
  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  processBatch(values: unknown[], timestamps: number[] | null, _input: number, out: BatchOut): void {
    const ov = out.values;
    const base = ov.length;
    ov.length = base + values.length;
    for (let i = 0; i < values.length; i++) ov[base + i] = values[i];
    const ot = out.timestamps;
    if (timestamps !== null && ot !== null) {
      const tBase = ot.length;
      ot.length = tBase + timestamps.length;
      for (let i = 0; i < timestamps.length; i++) ot[tBase + i] = timestamps[i]!;
    }
  }
}
