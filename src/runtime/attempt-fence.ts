/**
 * Fencing of a clustered job's attempts. Every run of a job after a rollback is a new attempt with
 * a higher number, agreed in the shared cluster state (see `src/cluster/attempt-epochs.ts`). A node
 * that was stalled (SIGSTOP, a long GC, a frozen VM) may still run an attempt the others abandoned:
 * whatever it does that leaves the process — snapshot writes, checkpoint completions, sink writes
 * and commits, source consumers — asks its fence first, and a stale attempt is refused.
 */
export interface AttemptFence {
  /** The attempt this run belongs to (0 for the first run). */
  readonly attempt: number;
  /**
   * Cheap and local (no I/O, fine per batch): true when this process may have missed news — its own
   * heartbeat ticks stalled, or it has not confirmed its attempt since — so a side effect should
   * {@link AttemptFence.check} first.
   */
  suspect(): boolean;
  /** Resolves when `attempt` is still the job's current attempt in the shared state; rejects with `StaleAttemptError` when a newer one exists. */
  check(): Promise<void>;
}

/** `check` only when the fence is suspect: the per-batch form. */
export function checkIfSuspect(fence: AttemptFence | undefined): Promise<void> | undefined {
  return fence && fence.suspect() ? fence.check() : undefined;
}
