import type { DataStream } from '../../src/index.ts';
import type { NexmarkEvent } from './model.ts';
import type { NexmarkGenerator } from './generator.ts';

/**
 * A Nexmark query: the Weir job (built on the public API from a timestamped, watermarked event
 * stream) and its plain-TypeScript reference, which is also the `hand-loop` baseline.
 */
export interface NexmarkQuery<O = unknown> {
  name: string;
  description: string;
  build(events: DataStream<NexmarkEvent>): DataStream<O>;
  /**
   * The same result computed by a tight loop over the generator's events 0…count-1, handed to
   * `emit` row by row (the hand-loop baseline counts them, as Weir's bench sink does, instead of
   * keeping millions of rows).
   */
  reference(gen: NexmarkGenerator, count: number, emit: (row: O) => void): void;
  /** Canonical text of one output row; results compare as sorted lists of rows. */
  row(out: O): string;
  /** For updating results (running aggregates): reduces the output stream to its final rows. */
  final?(outputs: O[]): O[];
}
