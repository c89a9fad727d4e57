import type { BenchRow, Scenario } from './scenario.ts';

/**
 * Checks that every run of every system in a result group reported the same result digest
 * (`extra.result`; groups from `Scenario.resultGroups`, default all systems): `equal` has a line
 * per group that agrees, `differ` one per group that does not (or a system missing from every
 * group), naming each run's digest.
 */
export function checkResults(s: Pick<Scenario, 'systems' | 'resultGroups'>, runs: Map<string, BenchRow[]>): { equal: string[]; differ: string[] } {
  const groups = s.resultGroups ?? [Object.keys(s.systems)];
  const ungrouped = Object.keys(s.systems).filter((x) => !groups.some((g) => g.includes(x)));
  if (ungrouped.length) return { equal: [], differ: [`systems in no result group: ${ungrouped.join(', ')}`] };
  const equal: string[] = [];
  const differ: string[] = [];
  for (const group of groups) {
    const seen = group.flatMap((system) => (runs.get(system) ?? []).map((r, k) => ({ system, run: k + 1, result: String(r.extra?.result) })));
    if (new Set(seen.map((x) => x.result)).size > 1) differ.push(seen.map((x) => `${x.system} (run ${x.run}): ${x.result}`).join('; '));
    else if (seen.length) equal.push(`results equal (${group.filter((x) => runs.has(x)).join(', ')}): ${seen[0]!.result} (rows:hash:hash)`);
  }
  return { equal, differ };
}
