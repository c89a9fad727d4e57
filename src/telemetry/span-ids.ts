import { randomFillSync } from 'node:crypto';

/** Bytes drawn from the system's random source per refill: one call covers ~2700 spans' ids. */
const POOL_BYTES = 65_536;

/**
 * Trace and span ids for spans made on the main thread, cut from a pool of random hex refilled
 * in one `randomFillSync` call: the SDK draws every id separately (a few hundred ns each), which
 * at thousands of spans a second is time taken from the records. Ids are as random as the SDK's.
 * Not for security: ids only have to be unique.
 */
export class SpanIds {
  private readonly bytes = Buffer.allocUnsafe(POOL_BYTES);
  private hex = '';
  private pos = 0;

  /** A new 32-hex-digit trace id, never all zeros. */
  traceId(): string {
    return this.take(32);
  }

  /** A new 16-hex-digit span id, never all zeros. */
  spanId(): string {
    return this.take(16);
  }

  private take(digits: number): string {
    if (this.pos + digits > this.hex.length) {
      randomFillSync(this.bytes);
      this.hex = this.bytes.toString('hex');
      this.pos = 0;
    }
    const id = this.hex.slice(this.pos, this.pos + digits);
    this.pos += digits;
    // All zeros is the invalid id; with 64 random bits it comes up about never, but it must not be emitted.
    return id.charCodeAt(0) === 48 && /^0+$/.test(id) ? this.take(digits) : id;
  }
}
