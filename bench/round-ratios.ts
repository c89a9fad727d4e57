import { readFileSync } from 'node:fs';
import type { BenchRow } from './scenario.ts';

/**
 * CPU seconds the calling thread has run (Linux: the scheduler's own count in
 * /proc/self/task/<tid>/schedstat, in ns), or undefined elsewhere. Called on the main thread, it
 * leaves out worker threads (a tracing worker, GC helpers) that `process.cpuUsage` counts, and
 * the time a loaded machine keeps the thread waiting, which wall time counts.
 */
export function mainThreadCpuSeconds(): number | undefined {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
  } catch {
    return undefined;
  }
}

/** A ratio's median over the rounds of one run, with its lowest and highest round. */
export interface RoundRatio {
  scenario: string;
  ratio: string;
  value: number;
  low: number;
  high: number;
  rounds: number;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * Per round (the systems run interleaved, so a round's runs share the machine's state), the
 * throughput ratio of `system` to `baseline` measured three ways: wall time, the process's CPU
 * seconds (every thread) and the main thread's CPU seconds; each as the median over the rounds
 * and the spread (lowest, highest round). On a machine others load, wall time mostly measures
 * waiting for a core; CPU seconds measure the work (a worker thread's share shows as the
 * difference between the process and main-thread ratios). `wallOnly`: for systems that run in
 * processes of their own (the bench process's CPU is not theirs).
 */
export function roundRatios(scenario: string, system: string, baseline: string, runs: Map<string, BenchRow[]>, wallOnly = false): RoundRatio[] {
  const a = runs.get(system) ?? [];
  const b = runs.get(baseline) ?? [];
  const n = Math.min(a.length, b.length);
  if (n === 0) return [];
  const all: Array<[string, (r: BenchRow) => number | undefined]> = [
    ['wall', (r) => r.seconds],
    ['cpu', (r) => num(r.extra?.cpuSeconds)],
    ['main-thread cpu', (r) => num(r.extra?.mainCpuSeconds)],
  ];
  const measures = wallOnly ? all.slice(0, 1) : all;
  const out: RoundRatio[] = [];
  for (const [by, seconds] of measures) {
    const values: number[] = [];
    for (let i = 0; i < n; i++) {
      const sa = seconds(a[i]!);
      const sb = seconds(b[i]!);
      if (sa === undefined || sb === undefined || !(sa > 0) || !(sb > 0)) continue;
      // Events per second of each (systems may process different shares of the input).
      values.push(a[i]!.events / sa / (b[i]!.events / sb));
    }
    if (values.length === 0) continue;
    values.sort((x, y) => x - y);
    out.push({ scenario, ratio: `${system}/${baseline} by ${by}`, value: round2(values[(values.length - 1) >> 1]!), low: round2(values[0]!), high: round2(values[values.length - 1]!), rounds: values.length });
  }
  return out;
}

function num(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}
