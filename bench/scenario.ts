/**
 * What a system reports: records handled, the digest of its result (`ResultDigest.toString()`,
 * compared with the other systems' by `bench/run.ts`, which fails when they differ), extra figures
 * (latency, outputs) for its row, `seconds` when the system times its measured part itself (e.g.
 * without starting processes), `events` when it processed fewer events than asked (a very slow
 * variant on a share of the input). A bare number (handled, no digest) fails the run.
 */
export type SystemResult = number | { handled: number; digest: string; extra?: Record<string, number | string>; seconds?: number; events?: number };

/** One system's implementation of a scenario: processes `events` records, returns how many it handled. */
export type SystemRun = (events: number) => Promise<SystemResult> | SystemResult;

/** A benchmark scenario: the same computation on several systems, measured in the same run. */
export interface Scenario {
  name: string;
  /** Events in a full run and in a `--quick` run. */
  events: number;
  quickEvents: number;
  systems: Record<string, SystemRun>;
  /** What the figures of interest are (rssPeakMb instead of eventsPerSec, say). */
  note?: string;
  /**
   * Systems measured without the warm-up run: those that start their own processes (each process
   * is cold anyway, and a warm-up would only start them twice).
   */
  coldSystems?: string[];
  /**
   * Events of the warm-up run when the default (a tenth, at most 500k) leaves code the measured
   * run needs cold: a path taken once per thousand records runs only 500 times in 500k events, so
   * V8 would still be optimizing it while the measured run is timed.
   */
  warmupEvents?: (events: number) => number;
  /**
   * Warm-up runs (each a new job) before the measured one; default 1. V8 keeps optimizing code
   * over the first jobs of a process, not only the first records: each job brings new objects and
   * closures to the same code, which then deoptimizes and is compiled again.
   */
  warmupRuns?: number;
  /**
   * Systems whose results must be equal (the same digest in every run); default: all the
   * scenario's systems. A system that computes something else (another job, a share of the input)
   * goes in a group of its own, where only its runs are compared with each other.
   */
  resultGroups?: string[][];
  /**
   * Called with every run of every system once the scenario ran: prints the scenario's own table
   * and returns figures (medians over the runs, say) that `bench/run.ts` adds to each system's row.
   */
  summarize?: (runs: Map<string, BenchRow[]>) => Record<string, Record<string, number | string>>;
}

/** Events of the warm-up run that precedes the measured one in the same process: a tenth, 10k to 500k. */
export const warmupEvents = (events: number): number => Math.min(events, 500_000, Math.max(10_000, Math.round(events / 10)));

/** The row written to bench/results/latest.json for one system in one scenario. */
export interface BenchRow {
  scenario: string;
  system: string;
  events: number;
  seconds: number;
  eventsPerSec: number;
  rssPeakMb: number;
  /** RSS when the measured part started, for memory-flatness checks. */
  rssStartMb: number;
  extra?: Record<string, number | string>;
}
