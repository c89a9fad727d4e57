import type { BenchRow } from '../scenario.ts';

/** The median of some numbers (the lower middle one of an even count). */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]!;

/**
 * For each system: the median over its runs of every numeric `extra` figure named by `figures`,
 * as `med<Figure>` (a row otherwise carries the figures of its median-throughput run, which for
 * latencies is an arbitrary one), plus the figure's run values, space-separated, as `<figure>Runs`.
 */
export function medianFigures(runs: Map<string, BenchRow[]>, figures: RegExp): Record<string, Record<string, number | string>> {
  const out: Record<string, Record<string, number | string>> = {};
  for (const [system, all] of runs) {
    const keys = Object.keys(all[0]?.extra ?? {}).filter((k) => figures.test(k) && typeof all[0]!.extra![k] === 'number');
    const figuresOf: Record<string, number | string> = {};
    for (const k of keys) {
      const values = all.map((r) => Number(r.extra?.[k]));
      figuresOf[`med${k[0]!.toUpperCase()}${k.slice(1)}`] = median(values);
      if (all.length > 1) figuresOf[`${k}Runs`] = values.join(' ');
    }
    out[system] = figuresOf;
  }
  return out;
}

const cell = (x: number | string | undefined, width: number) => String(x ?? '-').padStart(width);
const fmt = (x: unknown) => (typeof x === 'number' ? (x >= 100 ? Math.round(x).toLocaleString('en') : String(x)) : '-');

/** Prints the latency scenario's table: per system and load, the rate and the median p50/p99/p999/max. */
export function printLatencyTable(summary: Record<string, Record<string, number | string>>, runsPerSystem: number): void {
  console.log(`\nlatency, end to end (ms), median of ${runsPerSystem} run(s); load1 = 1-minute load average while measured (2 cores)`);
  console.log(`${'system'.padEnd(11)} ${'load'.padStart(4)} ${'rate/s'.padStart(11)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ${'p999'.padStart(8)} ${'max'.padStart(8)} ${'max rate/s'.padStart(12)} ${'load1'.padStart(6)}`);
  for (const [system, f] of Object.entries(summary)) {
    for (const at of ['Low', '10', '50', '90']) {
      console.log(`${system.padEnd(11)} ${cell(at === 'Low' ? '2k/s' : `${at}%`, 4)} ${cell(fmt(f[`medRate${at}`]), 11)} ${cell(fmt(f[`medP50Ms${at}`]), 8)} ${cell(fmt(f[`medP99Ms${at}`]), 8)} ${cell(fmt(f[`medP999Ms${at}`]), 8)} ${cell(fmt(f[`medMaxMs${at}`]), 8)} ${cell(at === 'Low' ? fmt(f.medMaxRate) : '', 12)} ${cell(at === 'Low' ? fmt(f.medLoad1) : '', 6)}`);
    }
  }
}

/** Prints the recovery scenario's table: per system the median (and per-run) recovery figures. */
export function printRecoveryTable(summary: Record<string, Record<string, number | string>>, runsPerSystem: number): void {
  console.log(`\nrecovery (ms), median of ${runsPerSystem} run(s)`);
  for (const [system, f] of Object.entries(summary)) {
    const parts = system === 'actor-failure'
      ? [`failure → its output: p50 ${fmt(f.medRecoveryP50Ms)} (runs ${f.recoveryP50MsRuns ?? f.medRecoveryP50Ms}), max ${fmt(f.medRecoveryMaxMs)} (runs ${f.recoveryMaxMsRuns ?? f.medRecoveryMaxMs})`]
      : [`SIGKILL → rollback logged ${fmt(f.medDetectMs)} (runs ${f.detectMsRuns ?? f.medDetectMs}), → output again ${fmt(f.medResumeMs)} (runs ${f.resumeMsRuns ?? f.medResumeMs}), fail-after ${fmt(f.medFailAfterMs)}`];
    console.log(`${system.padEnd(14)} ${parts.join(', ')}, load1 ${fmt(f.medLoad1)}`);
  }
}
