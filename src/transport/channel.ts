import type { Envelope } from './envelope.ts';

/**
 * The sending end of a channel between two subtasks. Flow control is credit-based: each credit
 * allows one envelope (a batch or a control event); the receiver hands credits back as it drains.
 * A sender never sends without a credit, so no queue between two actors grows without bound.
 *
 * Threading model: all calls happen on the Node event loop; listeners are invoked synchronously
 * or from I/O callbacks, never re-entrantly from within `send`.
 */
export interface OutputChannel {
  /** Stable name, e.g. `job.edge.0.1`, used in errors and metrics. */
  readonly id: string;
  /** Credits the sender holds now. */
  credits(): number;
  /** Sends one envelope; the caller must hold a credit (throws otherwise: that is a runtime bug). */
  send(envelope: Envelope): void;
  /** Called whenever credits arrive (the sender may resume). One listener per channel. */
  onCredit(listener: () => void): void;
  /** Releases resources (subscriptions); idempotent. */
  close(): void;
}

/**
 * The receiving end of a channel. It holds at most `capacity` envelopes; taking one returns a
 * credit to the sender.
 */
export interface InputChannel {
  /** Stable name, same as the sending end's. */
  readonly id: string;
  /** Most envelopes this end may hold. */
  readonly capacity: number;
  /** Envelopes waiting now. */
  size(): number;
  /** Largest number of envelopes ever waiting at once (for tests and metrics). */
  peakSize(): number;
  /** Takes the next envelope (returning one credit to the sender), or undefined when empty. */
  poll(): Envelope | undefined;
  /** Called whenever an envelope arrives. One listener per channel. */
  onData(listener: () => void): void;
  /** Releases resources; idempotent. */
  close(): void;
}
