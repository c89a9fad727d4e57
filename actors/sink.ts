import type { BatchOut, Operator, OperatorContext } from '../src/runtime/operator.ts';
import type { SinkOperator } from '../src/runtime/chain-runner.ts';
import type { Sink, SinkWriter } from '../src/connectors/sink.ts';

/**
 * Runs a {@link Sink}'s writer as the last operator of a chain. The runtime guards its writes
 * against replay (a restarted actor never writes a record twice), and an asynchronous `write`
 * holds the actor until it settles: that is how a slow sink slows its source.
 */
export class SinkRunner<T> implements Operator<T, never>, SinkOperator {
  readonly sink = true as const;
  readonly stateful = false;
  readonly name: string;
  private readonly writer: SinkWriter<T>;

  constructor(sink: Sink<T>, subtask: number, parallelism: number) {
    this.name = sink.name;
    this.writer = sink.createWriter(subtask, parallelism);
  }

  open(ctx: OperatorContext): void | Promise<void> {
    return this.writer.open({ job: ctx.job, operator: ctx.operator, subtask: ctx.subtask, parallelism: ctx.parallelism, clock: ctx.clock, fence: ctx.fence });
  }

  processBatch(values: T[], timestamps: number[] | null, _input: number, _out: BatchOut<never>): void | Promise<void> {
    return this.writer.write(values, timestamps);
  }

  onEnd(): void | Promise<void> {
    return this.writer.finish?.();
  }

  close(): void | Promise<void> {
    return this.writer.close();
  }
}

