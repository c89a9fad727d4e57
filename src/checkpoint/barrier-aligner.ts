import type { InputSet } from '../runtime/input-set.ts';

/**
 * Aligned checkpoint barriers (Chandy–Lamport as Flink aligns them): when a barrier arrives on an
 * input, that input is held back (its later records belong to the next epoch) while the others
 * are read on; once every open input delivered the barrier, the actor snapshots and forwards it.
 * An input that ends counts as aligned. Unaligned checkpoints would snapshot the held records
 * instead of blocking; this class is the place to add them.
 */
export class BarrierAligner {
  private readonly inputs: number;
  private current: { id: number; savepoint: boolean; seen: Set<number>; since: number } | undefined;
  /** How long the last completed alignment held inputs, ms (first barrier to last). */
  lastAlignmentMs = 0;

  constructor(inputs: number) {
    this.inputs = inputs;
  }

  /** True while some inputs are held for a barrier. */
  aligning(): boolean {
    return this.current !== undefined;
  }

  /** A barrier arrived on `input`. Returns true when the checkpoint is aligned (snapshot now). */
  onBarrier(input: number, id: number, set: InputSet, savepoint = false): boolean {
    if (this.current && id > this.current.id) {
      // A newer barrier overtook an unfinished alignment: that checkpoint is abandoned here.
      this.release(set);
    }
    if (!this.current) {
      if (id <= this.completed) return false;
      this.current = { id, savepoint, seen: new Set(), since: performance.now() };
    }
    if (id < this.current.id) return false;
    this.current.seen.add(input);
    set.blocked[input] = true;
    if (this.current.seen.size + set.endedCount(this.current.seen) < this.inputs) return false;
    this.lastAlignmentMs = performance.now() - this.current.since;
    this.completed = id;
    this.release(set);
    return true;
  }

  /** An input ended (already marked in `set`); returns the checkpoint this completes, if one was aligning. */
  onEnd(_input: number, set: InputSet): { id: number; savepoint: boolean } | undefined {
    const c = this.current;
    if (!c) return undefined;
    if (c.seen.size + set.endedCount(c.seen) < this.inputs) return undefined;
    this.lastAlignmentMs = performance.now() - c.since;
    this.completed = c.id;
    this.release(set);
    return { id: c.id, savepoint: c.savepoint };
  }

  /** After a restore: nothing is held. */
  reset(set: InputSet): void {
    this.release(set);
  }

  private completed = 0;

  private release(set: InputSet): void {
    this.current = undefined;
    set.blocked.fill(false);
  }
}
