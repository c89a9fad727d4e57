/**
 * Time as the runtime sees it. Only {@link systemClock} touches `Date.now()` and `setTimeout`, so
 * tests drive windows, timers and backoff with a {@link SimulatedClock}.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` after `ms`; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a pending timeout. */
  clearTimeout(handle: unknown): void;
}

/**
 * The wall clock.
 * @example
 * ```ts
 * const env = StreamEnvironment.create({ clock: systemClock })
 * ```
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * A clock moved by hand: `advance(ms)` runs due timeouts in time order.
 * @example
 * ```ts
 * const clock = new SimulatedClock(0); clock.setTimeout(() => fired = true, 10); clock.advance(10)
 * ```
 */
export class SimulatedClock implements Clock {
  private current: number;
  private nextId = 1;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.pending.set(id, { at: this.current + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Moves time forward by `ms`, running every timeout that falls due, earliest first. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let dueId = -1;
      let dueAt = Infinity;
      for (const [id, t] of this.pending) if (t.at <= target && t.at < dueAt) { dueAt = t.at; dueId = id; }
      if (dueId < 0) break;
      const t = this.pending.get(dueId)!;
      this.pending.delete(dueId);
      this.current = t.at;
      t.fn();
    }
    this.current = target;
  }
}
