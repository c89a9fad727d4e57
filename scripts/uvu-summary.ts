/** Counts from uvu's closing summary (`Total:`, `Passed:`, `Skipped:`), ANSI colours stripped. */
export interface UvuSummary {
  total: number;
  passed: number;
  skipped: number;
}

const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Reads uvu's summary lines from a suite's output; undefined when the suite printed none
 * (it crashed or exited early).
 * @example
 * ```ts
 * parseUvuSummary('  Total:     2\n  Passed:    1\n  Skipped:   0\n') // { total: 2, passed: 1, skipped: 0 }
 * ```
 */
export function parseUvuSummary(output: string): UvuSummary | undefined {
  const text = output.replace(ANSI, '');
  const grab = (label: string) => {
    const all = [...text.matchAll(new RegExp(`^\\s*${label}:\\s+(\\d+)\\s*$`, 'gm'))];
    return all.length ? Number(all[all.length - 1]![1]) : undefined;
  };
  const total = grab('Total');
  const passed = grab('Passed');
  if (total === undefined || passed === undefined) return undefined;
  return { total, passed, skipped: grab('Skipped') ?? 0 };
}
