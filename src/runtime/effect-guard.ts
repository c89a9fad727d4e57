/**
 * Keeps a side effect (writing to a sink, emitting a dead letter) exactly-once across a restart
 * with replay. `count` is how many effects the current incarnation has produced (restored from
 * the snapshot); `high` is how many were ever produced, which survives restarts because the
 * actor object does. While replaying, `count < high`: those effects already happened.
 */
export class EffectGuard {
  private count = 0;
  private high = 0;

  /** Of the next `n` effects, how many at the front already happened (skip them). */
  admit(n: number): number {
    const skip = Math.min(n, Math.max(0, this.high - this.count));
    this.count += n;
    if (this.count > this.high) this.high = this.count;
    return skip;
  }

  /** Effects that ever happened (replays not counted twice). */
  get total(): number {
    return this.high;
  }

  /** The count to store in a snapshot. */
  snapshot(): number {
    return this.count;
  }

  /** Back to a snapshot's count; `high` stays, so replayed effects are skipped. */
  restore(count: number | undefined): void {
    this.count = count ?? 0;
  }
}
