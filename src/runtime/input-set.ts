import type { Envelope } from '../transport/envelope.ts';
import type { InputChannel } from '../transport/channel.ts';
import type { LoggedInput } from './replay-log.ts';

/**
 * The receiving side of an actor: polls its input channels round-robin, drops records a
 * restarted sender emits again (by per-channel record sequence), and combines the inputs'
 * watermarks (minimum over inputs that are neither ended nor idle).
 */
export class InputSet {
  private readonly channels: InputChannel[];
  private next = 0;
  /** Next expected record sequence per input. */
  private expected: number[];
  private watermarks: number[];
  private ended: boolean[];
  private idle: boolean[];
  private combined = -Infinity;
  /** Inputs held back while a checkpoint barrier aligns. */
  readonly blocked: boolean[];

  constructor(channels: InputChannel[]) {
    this.channels = channels;
    this.expected = channels.map(() => 0);
    this.watermarks = channels.map(() => -Infinity);
    this.ended = channels.map(() => false);
    this.idle = channels.map(() => false);
    this.blocked = channels.map(() => false);
  }

  /** True when some unblocked input has an envelope waiting. */
  hasInput(): boolean {
    for (let i = 0; i < this.channels.length; i++) if (!this.blocked[i] && this.channels[i]!.size() > 0) return true;
    return false;
  }

  /** The next new envelope, round-robin over inputs, with already-seen records trimmed away. */
  poll(): LoggedInput | undefined {
    const n = this.channels.length;
    for (let k = 0; k < n; k++) {
      const input = (this.next + k) % n;
      if (this.blocked[input]) continue;
      const channel = this.channels[input]!;
      let envelope: Envelope | undefined;
      while ((envelope = channel.poll()) !== undefined) {
        const fresh = this.dedupe(input, envelope);
        if (fresh !== undefined) {
          this.next = (input + 1) % n;
          return { input, envelope: fresh };
        }
      }
    }
    return undefined;
  }

  private dedupe(input: number, envelope: Envelope): Envelope | undefined {
    if (envelope.kind !== 'records') {
      if (envelope.kind === 'end' && this.ended[input]) return undefined;
      return envelope;
    }
    const expected = this.expected[input]!;
    const n = envelope.values.length;
    if (envelope.seq >= expected) return envelope;
    if (envelope.seq + n <= expected) return undefined;
    const skip = expected - envelope.seq;
    return {
      kind: 'records',
      seq: expected,
      values: envelope.values.slice(skip),
      timestamps: envelope.timestamps ? envelope.timestamps.slice(skip) : null,
      trace: envelope.trace?.filter(([i]) => i >= skip).map(([i, t]) => [i - skip, t] as [number, string]),
    };
  }

  /** Applies an envelope's effect on positions, watermarks and end flags (also during replay). */
  advance(input: number, envelope: Envelope): void {
    switch (envelope.kind) {
      case 'records':
        this.expected[input] = envelope.seq + envelope.values.length;
        this.idle[input] = false;
        return;
      case 'watermark':
        if (envelope.time > this.watermarks[input]!) this.watermarks[input] = envelope.time;
        return;
      case 'idle':
        this.idle[input] = envelope.idle;
        return;
      case 'end':
        this.ended[input] = true;
        return;
    }
  }

  /** The combined watermark if it advanced since last asked, else undefined. */
  combinedWatermarkAdvance(): number | undefined {
    let min = Infinity;
    let active = 0;
    for (let i = 0; i < this.channels.length; i++) {
      // An ended input's watermark is final (+∞); an idle one does not count (as Flink's StatusWatermarkValve).
      if (this.ended[i]) {
        active++;
        continue;
      }
      if (this.idle[i]) continue;
      active++;
      if (this.watermarks[i]! < min) min = this.watermarks[i]!;
    }
    // Every input idle: hold the watermark until one becomes active again.
    if (active === 0) return undefined;
    if (min > this.combined) {
      this.combined = min;
      return min;
    }
    return undefined;
  }

  /** Ended inputs not in `except`. */
  endedCount(except: Set<number>): number {
    let n = 0;
    for (let i = 0; i < this.ended.length; i++) if (this.ended[i] && !except.has(i)) n++;
    return n;
  }

  /** True when no input is active: each is idle or ended, and at least one is idle (so the actor is idle too). */
  allIdle(): boolean {
    let idle = 0;
    for (let i = 0; i < this.channels.length; i++) {
      if (this.ended[i]) continue;
      if (!this.idle[i]) return false;
      idle++;
    }
    return idle > 0;
  }

  allEnded(): boolean {
    return this.ended.every(Boolean);
  }

  snapshot(): { expected: number[]; watermarks: number[]; ended: boolean[]; idle: boolean[]; combined: number } {
    return { expected: this.expected.slice(), watermarks: this.watermarks.slice(), ended: this.ended.slice(), idle: this.idle.slice(), combined: this.combined };
  }

  restore(s: ReturnType<InputSet['snapshot']>): void {
    this.expected = s.expected.slice();
    this.watermarks = s.watermarks.slice();
    this.ended = s.ended.slice();
    this.idle = s.idle.slice();
    this.combined = s.combined;
  }
}
