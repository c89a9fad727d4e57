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
    for (let i = 0; i < values.length; i++) out.values.push(values[i]);
    if (timestamps !== null && out.timestamps !== null) for (let i = 0; i < timestamps.length; i++) out.timestamps.push(timestamps[i]!);
  }
}
