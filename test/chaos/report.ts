import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SCENARIOS, describeFault, type FaultKind } from './schedule.ts';
import { passed, type TrialResult } from './trial.ts';

/** The summary of a chaos run, per scenario and in total. */
export interface ChaosSummary {
  seeds: { first: number; trials: number };
  scenarios: Array<{ scenario: string; trials: number; passed: number; faults: Partial<Record<FaultKind, number>>; lost: number; duplicated: number; unexpected: number; recoveries: number; recoveryP50Ms: number | null; recoveryP99Ms: number | null; meanTrialS: number }>;
  faults: Partial<Record<FaultKind, number>>;
  total: { trials: number; passed: number; lost: number; duplicated: number; unexpected: number; recoveryP50Ms: number | null; recoveryP99Ms: number | null };
}

/** The q-quantile (nearest rank) of `xs`, or null when empty. */
export function quantile(xs: number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

const count = (rs: TrialResult[]) => {
  const faults: Partial<Record<FaultKind, number>> = {};
  for (const r of rs) for (const i of r.injected) faults[i.fault.kind] = (faults[i.fault.kind] ?? 0) + 1;
  return faults;
};
const sum = (rs: TrialResult[], k: 'lost' | 'duplicated' | 'unexpected') => rs.reduce((n, r) => n + r.difference[k], 0);

/** Sums up trial results. */
export function summarize(results: TrialResult[], firstSeed: number): ChaosSummary {
  const scenarios = SCENARIOS.map((scenario) => {
    const rs = results.filter((r) => r.plan.scenario === scenario);
    const rec = rs.flatMap((r) => r.recoveryMs);
    return {
      scenario,
      trials: rs.length,
      passed: rs.filter(passed).length,
      faults: count(rs),
      lost: sum(rs, 'lost'),
      duplicated: sum(rs, 'duplicated'),
      unexpected: sum(rs, 'unexpected'),
      recoveries: rec.length,
      recoveryP50Ms: quantile(rec, 0.5),
      recoveryP99Ms: quantile(rec, 0.99),
      meanTrialS: rs.length ? rs.reduce((n, r) => n + r.wallMs, 0) / rs.length / 1000 : 0,
    };
  }).filter((s) => s.trials > 0);
  const rec = results.flatMap((r) => r.recoveryMs);
  return {
    seeds: { first: firstSeed, trials: results.length },
    scenarios,
    faults: count(results),
    total: { trials: results.length, passed: results.filter(passed).length, lost: sum(results, 'lost'), duplicated: sum(results, 'duplicated'), unexpected: sum(results, 'unexpected'), recoveryP50Ms: quantile(rec, 0.5), recoveryP99Ms: quantile(rec, 0.99) },
  };
}

const ms = (x: number | null) => (x === null ? '–' : x >= 1000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);
const faultText = (f: Partial<Record<FaultKind, number>>) => Object.entries(f).sort().map(([k, n]) => `${k} ${n}`).join(', ') || '–';

/** The Markdown table of a run (also quoted in the README). */
export function markdownTable(s: ChaosSummary): string {
  const lines = [
    '| scenario | trials | passed | faults injected | lost | duplicated | unexpected | recoveries | recovery p50 | recovery p99 | mean trial |',
    '|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|',
    ...s.scenarios.map((r) => `| ${r.scenario} | ${r.trials} | ${r.passed} | ${faultText(r.faults)} | ${r.lost} | ${r.duplicated} | ${r.unexpected} | ${r.recoveries} | ${ms(r.recoveryP50Ms)} | ${ms(r.recoveryP99Ms)} | ${r.meanTrialS.toFixed(1)} s |`),
    `| **all** | ${s.total.trials} | ${s.total.passed} | ${faultText(s.faults)} | ${s.total.lost} | ${s.total.duplicated} | ${s.total.unexpected} | ${s.scenarios.reduce((n, r) => n + r.recoveries, 0)} | ${ms(s.total.recoveryP50Ms)} | ${ms(s.total.recoveryP99Ms)} | |`,
  ];
  return lines.join('\n');
}

/** Writes `chaos.json` (summary and every trial) and `chaos.md` (the table and the failed trials) to `dir`. */
export function writeResults(dir: string, results: TrialResult[], firstSeed: number, meta: Record<string, unknown>): ChaosSummary {
  mkdirSync(dir, { recursive: true });
  const summary = summarize(results, firstSeed);
  const trials = results.map((r) => ({
    seed: r.plan.seed,
    scenario: r.plan.scenario,
    recovery: r.plan.recovery,
    passed: passed(r),
    scheduled: r.plan.faults.map(describeFault),
    injected: r.injected.map((i) => describeFault(i.fault)),
    rows: r.rows,
    lost: r.difference.lost,
    duplicated: r.difference.duplicated,
    unexpected: r.difference.unexpected,
    recoveryMs: r.recoveryMs,
    wallMs: r.wallMs,
    error: r.error?.split('\n')[0],
  }));
  writeFileSync(join(dir, 'chaos.json'), JSON.stringify({ ...meta, summary, trials }, null, 2) + '\n');
  const failed = trials.filter((t) => !t.passed);
  const md = [
    '# Chaos: randomised fault injection',
    '',
    `\`npm run chaos -- --trials ${results.length} --seed ${firstSeed}\` (${meta.date ?? ''}, ${meta.wallS ?? '?'} s wall time). Each trial's scenario and fault schedule are drawn from its seed; outputs are compared as multisets with a plain-TypeScript reference. Recovery: from a fault to the first checkpoint completed after the restart it caused.`,
    '',
    markdownTable(summary),
    '',
    failed.length === 0 ? 'Every trial passed.' : `Failed trials (replay with \`npm run chaos -- --replay <seed>\`):\n\n${failed.map((t) => `- seed ${t.seed} (${t.scenario}): ${t.scheduled.join(' ')}: lost ${t.lost}, duplicated ${t.duplicated}, unexpected ${t.unexpected}${t.error ? `; ${t.error}` : ''}`).join('\n')}`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'chaos.md'), md);
  return summary;
}
