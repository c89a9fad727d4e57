import { InvalidJobError } from '../errors.ts';

/**
 * How a job restarts from its last completed checkpoint after a failure that one-actor recovery
 * could not absorb (Flink's restart strategies).
 */
export type RestartStrategy =
  | { kind: 'none' }
  | { kind: 'fixed-delay'; attempts: number; delayMs: number }
  | { kind: 'exponential-delay'; initialMs: number; maxMs: number; multiplier?: number; attempts?: number }
  | { kind: 'failure-rate'; maxFailures: number; intervalMs: number; delayMs: number };

/**
 * The delay before the next job restart, or undefined when the strategy gives up.
 * `failures` are the times of the failures so far, the newest last.
 * @example
 * ```ts
 * nextRestartDelay({ kind: 'fixed-delay', attempts: 3, delayMs: 100 }, [t1]) // 100
 * ```
 */
export function nextRestartDelay(strategy: RestartStrategy, failures: number[]): number | undefined {
  const n = failures.length;
  switch (strategy.kind) {
    case 'none':
      return undefined;
    case 'fixed-delay':
      return n <= strategy.attempts ? strategy.delayMs : undefined;
    case 'exponential-delay':
      if (strategy.attempts !== undefined && n > strategy.attempts) return undefined;
      return Math.min(strategy.maxMs, strategy.initialMs * (strategy.multiplier ?? 2) ** (n - 1));
    case 'failure-rate': {
      const now = failures[n - 1] ?? 0;
      const recent = failures.filter((t) => now - t < strategy.intervalMs).length;
      return recent <= strategy.maxFailures ? strategy.delayMs : undefined;
    }
    default:
      throw new InvalidJobError(`unknown restart strategy ${JSON.stringify(strategy)}`);
  }
}
