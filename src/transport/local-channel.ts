import type { Envelope } from './envelope.ts';
import type { InputChannel, OutputChannel } from './channel.ts';

/**
 * An in-process channel: a fixed-size ring of envelopes shared by both ends. The sender's
 * credits are exactly the free slots, so it can never hold more than `capacity` envelopes.
 * Envelopes are handed over by reference; actors treat received arrays as read-only, which keeps
 * the same contract as a channel that copies through msgpackr.
 */
export class LocalChannel implements InputChannel, OutputChannel {
  readonly id: string;
  readonly capacity: number;
  private readonly ring: Array<Envelope | undefined>;
  private head = 0;
  private count = 0;
  private peak = 0;
  private dataListener: (() => void) | undefined;
  private creditListener: (() => void) | undefined;

  constructor(id: string, capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`channel '${id}': capacity must be a positive integer, got ${capacity}`);
    this.id = id;
    this.capacity = capacity;
    this.ring = new Array(capacity);
  }

  credits(): number {
    return this.capacity - this.count;
  }

  send(envelope: Envelope): void {
    if (this.count === this.capacity) throw new Error(`channel '${this.id}': send without credit (runtime bug)`);
    this.ring[(this.head + this.count) % this.capacity] = envelope;
    this.count++;
    if (this.count > this.peak) this.peak = this.count;
    this.dataListener?.();
  }

  size(): number {
    return this.count;
  }

  peakSize(): number {
    return this.peak;
  }

  poll(): Envelope | undefined {
    if (this.count === 0) return undefined;
    const envelope = this.ring[this.head];
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    this.creditListener?.();
    return envelope;
  }

  onData(listener: () => void): void {
    this.dataListener = listener;
  }

  onCredit(listener: () => void): void {
    this.creditListener = listener;
  }

  close(): void {
    this.dataListener = undefined;
    this.creditListener = undefined;
  }
}
