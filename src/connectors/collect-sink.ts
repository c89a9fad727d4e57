import type { Sink, SinkWriter } from './sink.ts';

/**
 * Gathers every record into memory (for tests and small jobs). Bounded: past `limit` records the
 * write fails, so a runaway job fails loudly instead of eating memory.
 * @example
 * ```ts
 * const sink = new CollectSink<number>(); env.fromCollection([1, 2]).sinkTo(sink); await env.execute('j'); sink.values // [1, 2]
 * ```
 */
export class CollectSink<T> implements Sink<T> {
  readonly name: string;
  readonly values: T[] = [];
  readonly timestamps: number[] = [];
  private readonly limit: number;

  constructor(options: { name?: string; limit?: number } = {}) {
    this.name = options.name ?? 'collect';
    this.limit = options.limit ?? 50_000_000;
  }

  createWriter(): SinkWriter<T> {
    return {
      open: () => {},
      write: (values, timestamps) => {
        if (this.values.length + values.length > this.limit) throw new RangeError(`collect sink '${this.name}' is over its limit of ${this.limit} records`);
        for (let i = 0; i < values.length; i++) {
          this.values.push(values[i]!);
          this.timestamps.push(timestamps === null ? NaN : timestamps[i]!);
        }
      },
      close: () => {},
    };
  }
}

/**
 * Counts records without keeping them (benchmarks, smoke tests).
 * @example
 * ```ts
 * const sink = new CountSink(); stream.sinkTo(sink); await env.execute('j'); sink.count
 * ```
 */
export class CountSink implements Sink<unknown> {
  readonly name = 'count';
  count = 0;

  createWriter(): SinkWriter<unknown> {
    return {
      open: () => {},
      write: (values) => {
        this.count += values.length;
      },
      close: () => {},
    };
  }
}

/**
 * Prints each record on its own line, prefixed with the subtask when parallel (Flink's print()).
 * @example
 * ```ts
 * stream.sinkTo(new PrintSink('counts'))
 * ```
 */
export class PrintSink<T> implements Sink<T> {
  readonly name: string;
  private readonly write: (line: string) => void;

  constructor(prefix = '', write: (line: string) => void = (line) => process.stdout.write(line + '\n')) {
    this.name = prefix ? `print(${prefix})` : 'print';
    this.write = write;
  }

  createWriter(subtask: number, parallelism: number): SinkWriter<T> {
    const name = this.name.startsWith('print(') ? this.name.slice(6, -1) : '';
    const prefix = (name ? name + ':' : '') + (parallelism > 1 ? `${subtask + 1}> ` : name ? ' ' : '');
    return {
      open: () => {},
      write: (values) => {
        for (const v of values) this.write(prefix + format(v));
      },
      close: () => {},
    };
  }
}

function format(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
}
