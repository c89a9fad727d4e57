/**
 * Which input batches keep failing, so that a record that fails every time is isolated (processed one
 * by one, the failing ones dead-lettered) instead of restarting its actor forever.
 *
 * A replayed input batch comes back exactly as it arrived, so it is known by its identity (input and
 * sequence number). A source chain's batch is not: after a restore the source reads again from its
 * snapshot position, and a rate-limited or live source cuts its batches elsewhere. Such batches are
 * known by the range of read positions they cover: a failure of a batch that overlaps a range that
 * failed before narrows that range to the overlap (the poison record lies in both) and counts on.
 */
export class PoisonTracker {
  private readonly failures = new Map<string, number>();
  private readonly poisoned = new Set<string>();
  private readonly ranges: ReadRange[] = [];

  /** True when the replayed batch `identity` is to be processed one record at a time. */
  isPoisoned(identity: string): boolean {
    return this.poisoned.size > 0 && this.poisoned.has(identity);
  }

  /** True when the source batch covering read positions [start, end) overlaps a range that keeps failing. */
  isPoisonedRange(start: number, end: number): boolean {
    for (const r of this.ranges) if (r.poisoned && r.start < end && start < r.end) return true;
    return false;
  }

  /** Counts a failure of the replayed batch `identity`; returns how often it has failed. */
  failed(identity: string): number {
    const n = (this.failures.get(identity) ?? 0) + 1;
    this.failures.set(identity, n);
    return n;
  }

  /** Counts a failure of the source batch covering [start, end); returns how often its records have failed. */
  failedRange(start: number, end: number): number {
    const hit = this.ranges.find((r) => r.start < end && start < r.end);
    if (!hit) {
      if (this.ranges.length >= MAX_RANGES) this.ranges.shift();
      this.ranges.push({ start, end, failures: 1, poisoned: false });
      return 1;
    }
    hit.start = Math.max(hit.start, start);
    hit.end = Math.min(hit.end, end);
    return ++hit.failures;
  }

  /** From now on, the batch `identity` is processed one record at a time. */
  poison(identity: string): void {
    this.poisoned.add(identity);
  }

  /** From now on, source batches overlapping [start, end) are processed one record at a time. */
  poisonRange(start: number, end: number): void {
    for (const r of this.ranges) if (r.start < end && start < r.end) r.poisoned = true;
  }
}

interface ReadRange {
  start: number;
  end: number;
  failures: number;
  poisoned: boolean;
}

/** Distinct failing source ranges remembered at once (the oldest is forgotten first). */
const MAX_RANGES = 64;
