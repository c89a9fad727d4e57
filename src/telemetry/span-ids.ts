import { randomFillSync } from 'node:crypto';

/** Bytes drawn from the system's random source per pool: one call covers ~2700 spans' ids. */
const POOL_BYTES = 65_536;
/** A span's id bytes in its pool: its trace id (16 bytes), then its span id (8). */
export const SPAN_ID_BYTES = 24;

/**
 * Trace and span ids for spans made on the main thread, cut from a pool of random bytes filled
 * in one `randomFillSync` call: the SDK draws every id separately (a few hundred ns each), which
 * at thousands of spans a second is time taken from the records. A span keeps its ids as bytes
 * in the pool (a used-up pool is replaced, never refilled, so they stay valid): shipping copies
 * bytes, and hex is made only for what needs it (one traceparent per span). Ids are as random
 * as the SDK's. Not for security: ids only have to be unique.
 */
export class SpanIds {
  /** The pool the last {@link take} reserved in. */
  pool = Buffer.allocUnsafe(POOL_BYTES);
  private pos = POOL_BYTES;

  /**
   * Reserves a span's 24 id bytes in {@link pool} and returns their offset: a new trace id and a
   * new span id, or, given the parent's trace id (32 hex digits), that trace id and a new span id.
   * Neither id is all zeros (the invalid id).
   */
  take(parentTraceId?: string): number {
    for (;;) {
      if (this.pos + SPAN_ID_BYTES > POOL_BYTES) {
        this.pool = Buffer.allocUnsafe(POOL_BYTES);
        randomFillSync(this.pool);
        this.pos = 0;
      }
      const at = this.pos;
      this.pos += SPAN_ID_BYTES;
      if (parentTraceId !== undefined) this.pool.write(parentTraceId, at, 16, 'hex');
      // With 64 random bits an all-zero id comes up about never, but it must not be emitted.
      if ((parentTraceId !== undefined || !isZero(this.pool, at, 16)) && !isZero(this.pool, at + 16, 8)) return at;
    }
  }
}

function isZero(bytes: Uint8Array, at: number, n: number): boolean {
  for (let i = at; i < at + n; i++) if (bytes[i] !== 0) return false;
  return true;
}
