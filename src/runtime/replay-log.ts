import type { Envelope, ProcessingTimeEnvelope } from '../transport/envelope.ts';

/** One retained input: which input channel it came from and the (deduplicated) envelope; input -1 is a processing-time tick. */
export type LoggedInput = { input: number; envelope: Envelope } | { input: -1; envelope: ProcessingTimeEnvelope };

/**
 * The input an actor took since its last durable snapshot, in arrival order, so a restarted
 * actor can replay exactly what it saw. Bounded: the actor stops taking input when the log is full
 * and its snapshot has not landed yet.
 */
export class ReplayLog {
  private entries: LoggedInput[] = [];
  private cursor = 0;
  readonly limit: number;
  /** Most entries ever held at once (a runtime counter: what replay retained at worst). */
  peak = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Records a new input (not during replay). */
  append(entry: LoggedInput): void {
    this.entries.push(entry);
    this.cursor = this.entries.length;
    if (this.cursor > this.peak) this.peak = this.cursor;
  }

  /** True while a restarted actor still has logged input to re-process. */
  replaying(): boolean {
    return this.cursor < this.entries.length;
  }

  /** The next logged input to re-process. */
  next(): LoggedInput | undefined {
    return this.cursor < this.entries.length ? this.entries[this.cursor++] : undefined;
  }

  /** Starts replay from the oldest retained input (after a restore). */
  rewind(): number {
    this.cursor = 0;
    return this.entries.length;
  }

  /** Position to trim to once a snapshot taken now becomes durable. */
  mark(): number {
    return this.entries.length;
  }

  /** Drops the `count` oldest entries: a snapshot covering them is durable. */
  trim(count: number): void {
    if (count <= 0) return;
    this.entries.splice(0, count);
    this.cursor = Math.max(0, this.cursor - count);
  }

  get length(): number {
    return this.entries.length;
  }

  full(): boolean {
    return this.entries.length >= this.limit;
  }
}
